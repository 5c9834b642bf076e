package pos

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// pinIterations makes each PIN guess cost tens of milliseconds, so a stolen
// cashiers table cannot be brute-forced through the 10,000 four-digit PINs
// in an instant. The count is stored with each hash so it can be raised.
const pinIterations = 200_000

// HashPIN returns a salted PBKDF2-SHA256 hash of a PIN, written as
// "pbkdf2-sha256$iterations$salt$hash".
func HashPIN(pin string) (string, error) {
	if err := validPIN(pin); err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("pin salt: %w", err)
	}
	return hashPIN(pin, salt, pinIterations)
}

func hashPIN(pin string, salt []byte, iter int) (string, error) {
	key, err := pbkdf2.Key(sha256.New, pin, salt, iter, 32)
	if err != nil {
		return "", fmt.Errorf("pin hash: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", iter, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPIN reports whether pin matches a hash made by HashPIN.
func CheckPIN(hash, pin string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	got, err := hashPIN(pin, salt, iter)
	return err == nil && subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}

func validPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 12 {
		return Errorf(EInvalid, "a PIN has 4 to 12 digits")
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return Errorf(EInvalid, "a PIN has digits only")
		}
	}
	return nil
}
