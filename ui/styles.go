package ui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles are built once, in New, and passed down: no screen makes its own.
type Styles struct {
	Header   lipgloss.Style
	Training lipgloss.Style
	Banner   lipgloss.Style // the database-down banner
	Title    lipgloss.Style
	Panel    lipgloss.Style
	Label    lipgloss.Style
	Value    lipgloss.Style
	Total    lipgloss.Style
	Muted    lipgloss.Style
	Selected lipgloss.Style
	Field    lipgloss.Style
	Prompt   lipgloss.Style
	OK       lipgloss.Style
	Error    lipgloss.Style
	Big      lipgloss.Style
	Dialog   lipgloss.Style
	Help     help.Styles
}

// NewStyles builds the styles. Without colour (NO_COLOR) meaning is carried
// by reverse video, bold and the ✗/✓ marks alone.
func NewStyles(colour bool) Styles {
	c := func(hex string) color.Color {
		if !colour {
			return lipgloss.NoColor{}
		}
		return lipgloss.Color(hex)
	}
	s := Styles{
		Header:   lipgloss.NewStyle().Reverse(true).Bold(true),
		Training: lipgloss.NewStyle().Bold(true).Reverse(true).Foreground(c("#FFB000")),
		Banner:   lipgloss.NewStyle().Bold(true).Reverse(true).Foreground(c("#FF5F5F")),
		Title:    lipgloss.NewStyle().Bold(true),
		Panel:    lipgloss.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(c("#5F5F87")).Padding(0, 1),
		Label:    lipgloss.NewStyle().Foreground(c("#8A8A8A")),
		Value:    lipgloss.NewStyle(),
		Total:    lipgloss.NewStyle().Bold(true),
		Muted:    lipgloss.NewStyle().Foreground(c("#8A8A8A")),
		Selected: lipgloss.NewStyle().Reverse(true),
		Field:    lipgloss.NewStyle().Bold(true),
		Prompt:   lipgloss.NewStyle().Bold(true).Foreground(c("#5FAFFF")),
		OK:       lipgloss.NewStyle().Foreground(c("#5FD75F")),
		Error:    lipgloss.NewStyle().Bold(true).Foreground(c("#FF5F5F")),
		Big:      lipgloss.NewStyle().Bold(true).Foreground(c("#5FD75F")),
		Dialog:   lipgloss.NewStyle().Border(lipgloss.DoubleBorder()).BorderForeground(c("#5FAFFF")).Padding(0, 1),
	}
	s.Help = help.Styles{
		ShortKey:       lipgloss.NewStyle().Bold(true),
		ShortDesc:      lipgloss.NewStyle().Foreground(c("#8A8A8A")),
		ShortSeparator: lipgloss.NewStyle().Foreground(c("#5F5F5F")),
		Ellipsis:       lipgloss.NewStyle().Foreground(c("#5F5F5F")),
		FullKey:        lipgloss.NewStyle().Bold(true),
		FullDesc:       lipgloss.NewStyle().Foreground(c("#8A8A8A")),
		FullSeparator:  lipgloss.NewStyle().Foreground(c("#5F5F5F")),
	}
	return s
}
