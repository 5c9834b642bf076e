package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
)

// stopSignals are the signals that ask the till to stop: SIGTERM (kill,
// systemctl stop, docker stop), SIGINT (ctrl+c outside the screen) and
// SIGHUP (the terminal was closed).
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// stops is the one place that listens to the stop signals: Bubble Tea's own
// handler is turned off, so no two handlers race for the same signal (they
// deadlocked: the program's context ended while Bubble Tea's handler was
// still sending it a quit nobody read).
//
// Outside the cashier screen a signal cancels the context: starting or
// stopping the private server, migrating or seeding stop where they are.
// While the screen is open the signal is handed to it instead, and the
// screen quits as soon as nothing is in flight (see runProgram).
type stops struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	ch     chan os.Signal

	mu     sync.Mutex
	screen func(os.Signal) // set while the cashier screen runs
	got    os.Signal       // the first signal received
	held   os.Signal       // a signal handed to the screen, not yet acted on after it
}

// errStopped is the cause of the context a stop signal cancels.
type errStopped struct{ sig os.Signal }

func (e errStopped) Error() string { return "stopped by " + signalName(e.sig) }

func signalName(s os.Signal) string {
	if n, ok := s.(syscall.Signal); ok {
		switch n {
		case syscall.SIGINT:
			return "SIGINT"
		case syscall.SIGTERM:
			return "SIGTERM"
		case syscall.SIGHUP:
			return "SIGHUP"
		}
	}
	return s.String()
}

// listen starts listening to the stop signals; stop undoes it.
func listen(parent context.Context) *stops {
	s := &stops{ch: make(chan os.Signal, 4)}
	s.ctx, s.cancel = context.WithCancelCause(parent)
	signal.Notify(s.ch, stopSignals...)
	go s.loop()
	return s
}

func (s *stops) loop() {
	for sig := range s.ch {
		s.mu.Lock()
		if s.got == nil {
			s.got = sig
		}
		h := s.screen
		if h != nil {
			s.held = sig
		}
		s.mu.Unlock()
		if h != nil {
			h(sig)
		} else {
			s.cancel(errStopped{sig})
		}
	}
}

// stop stops listening: a later signal has its default effect.
func (s *stops) stop() {
	signal.Stop(s.ch)
	s.cancel(nil)
}

// received is the first stop signal received, or nil.
func (s *stops) received() os.Signal {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

// hand sends the stop signals to h until the returned release is called.
// A signal h received is then acted on as if it arrived after: the context
// is cancelled, so what follows the screen stops too.
func (s *stops) hand(h func(os.Signal)) (release func()) {
	if s == nil {
		return func() {}
	}
	s.mu.Lock()
	s.screen = h
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.screen = nil
		held := s.held
		s.held = nil
		s.mu.Unlock()
		if held != nil {
			s.cancel(errStopped{held})
		}
	}
}

// How the screen stops on a signal.
const (
	// quitEvery is how often the quit is asked again while the screen
	// holds it (a card payment in flight).
	quitEvery = 100 * time.Millisecond
	// holdAtMost bounds the wait for a payment in flight: past it, or on a
	// second signal, the screen stops at once and the sale is left pending
	// for the next start's recovery, as after a crash.
	holdAtMost = 2 * time.Minute
)

// runProgram runs the cashier screen until the cashier quits or a stop
// signal asks it to. A signal is sent to the screen as a tea.QuitMsg, which
// the model's filter holds while a card payment or a sale's recording is in
// flight; it is asked again every quitEvery until the screen ends.
// opts are more options (tests give it no terminal).
func runProgram(ctx context.Context, env *environment, m tea.Model, filter func(tea.Model, tea.Msg) tea.Msg,
	opts ...tea.ProgramOption) error {
	progCtx, force := context.WithCancel(ctx)
	defer force()
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(progCtx), tea.WithoutSignalHandler(),
		tea.WithFilter(filter)}, opts...)...)
	done := make(chan struct{})
	var signalled, forced atomic.Bool
	release := env.stops.hand(func(os.Signal) {
		if signalled.Swap(true) { // a second signal: stop now
			forced.Store(true)
			force()
			return
		}
		go func() {
			limit := time.NewTimer(holdAtMost)
			defer limit.Stop()
			tick := time.NewTicker(quitEvery)
			defer tick.Stop()
			for {
				p.Send(tea.QuitMsg{}) // returns at once when the program has ended
				select {
				case <-done:
					return
				case <-limit.C:
					forced.Store(true)
					force()
					return
				case <-tick.C:
				}
			}
		}()
	})
	_, err := p.Run()
	close(done)
	release()
	if errors.Is(err, tea.ErrProgramKilled) && (forced.Load() || ctx.Err() != nil) {
		// Stopped from outside: the terminal is restored; what was in flight
		// is left for the next start's recovery.
		return nil
	}
	return err
}
