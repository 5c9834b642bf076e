package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/till-pos/till/pos"
)

// iamPassword signs the till in with IAM database authentication: a token
// for every new physical connection, built from the AWS default credential
// chain (environment keys of a scoped IAM user, a shared profile, IAM Roles
// Anywhere through credential_process, an instance role). A token lives 15
// minutes but is only checked when a connection signs in, so a pool that
// reconnects now and then (connMaxLifetime) keeps working for hours. The
// credentials are checked once here, so a till with none fails at start
// with a clear message instead of at its first sale.
func iamPassword(ctx context.Context, region string) (PasswordFunc, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, pos.WrapError(pos.EInvalid, err, "cannot load AWS settings for IAM database sign-in")
	}
	if _, err := awsCfg.Credentials.Retrieve(ctx); err != nil {
		return nil, pos.WrapError(pos.EUnavailable, err,
			"no AWS credentials for IAM database sign-in (environment, profile or role)")
	}
	return iamToken(region, awsCfg.Credentials), nil
}

// iamToken builds a fresh token per call from creds (which cache and
// refresh themselves). The token is a signed request; it is handed to the
// driver for one sign-in and never written to a DSN or a log.
func iamToken(region string, creds aws.CredentialsProvider) PasswordFunc {
	return func(ctx context.Context, addr, user string) (string, error) {
		return auth.BuildAuthToken(ctx, addr, region, user, creds)
	}
}
