package stripe

import (
	"context"
	"fmt"
	"log/slog"
)

// leveledLogger sends stripe-go's log lines to the till's slog logger
// (a file), never to the terminal the cashier is looking at. stripe-go logs
// methods, paths and Stripe's error objects, never request bodies.
type leveledLogger struct{ log *slog.Logger }

func (l leveledLogger) Debugf(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }
func (l leveledLogger) Infof(format string, v ...any)  { l.emit(slog.LevelDebug, format, v) }
func (l leveledLogger) Warnf(format string, v ...any)  { l.emit(slog.LevelWarn, format, v) }
func (l leveledLogger) Errorf(format string, v ...any) { l.emit(slog.LevelError, format, v) }

func (l leveledLogger) emit(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if l.log.Enabled(ctx, level) {
		l.log.Log(ctx, level, "stripe-go: "+fmt.Sprintf(format, v...))
	}
}
