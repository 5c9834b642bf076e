package ui

import (
	"context"
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/till-pos/till/pos"
)

// BenchmarkScan measures one scan — thirteen digits and Enter — through
// Update and View, with a 100,000-item catalog and a basket that grows.
func BenchmarkScan(b *testing.B) {
	db := &fakeDB{}
	codes := make([]string, 100_000)
	items := make([]pos.Item, len(codes))
	for i := range items {
		d := fmt.Sprintf("40%010d", i)
		codes[i] = d + fmt.Sprint(pos.GTINCheckDigit(d))
		items[i] = pos.Item{ID: pos.ItemID(i + 1), Code: codes[i], Name: fmt.Sprintf("Item number %d", i),
			Price: pos.Money(100 + i%900), TaxRate: 700, Active: true}
	}
	set := pos.Settings{StoreID: "s", TillID: "t", Currency: pos.EUR(), Scan: pos.DefaultScanRules()}
	m := New(context.Background(), Deps{Checkout: &pos.Checkout{Sales: db, Settings: set}, Catalog: db}, NewStyles(true))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(catalogMsg{items: items})
	m.cashier = &pos.Cashier{ID: 1, Name: "Bench"}
	m.goTo(screenBasket)
	keys := make([][]tea.KeyPressMsg, 1000)
	for i := range keys {
		for _, c := range codes[(i*7919)%len(codes)] {
			keys[i] = append(keys[i], tea.KeyPressMsg{Code: c, Text: string(c)})
		}
		keys[i] = append(keys[i], tea.KeyPressMsg{Code: tea.KeyEnter})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%200 == 0 {
			m.newSale() // a basket of up to 200 lines, like a big shop
		}
		for _, k := range keys[i%len(keys)] {
			m.Update(k)
			_ = m.View()
		}
	}
	b.StopTimer()
	if m.status.err {
		b.Fatalf("scan rejected: %s", m.status.text)
	}
}
