package emf

import _ "embed"

//go:embed monitoring.yaml
var template []byte

// Template is the CloudFormation template of the till's alarms (`till
// monitoring template`): heartbeat missing, an outbox's oldest entry over
// 15 minutes, payments waiting for reconcile over 30 minutes, the
// database unavailable.
func Template() []byte { return append([]byte(nil), template...) }
