package emf_test

import (
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/till-pos/till/pos"
	"github.com/till-pos/till/pos/emf"
)

type alarm struct {
	Type       string `yaml:"Type"`
	Properties struct {
		Namespace  string `yaml:"Namespace"`
		MetricName string `yaml:"MetricName"`
		Dimensions []struct {
			Name string `yaml:"Name"`
		} `yaml:"Dimensions"`
		Statistic          string  `yaml:"Statistic"`
		Threshold          float64 `yaml:"Threshold"`
		ComparisonOperator string  `yaml:"ComparisonOperator"`
		TreatMissingData   string  `yaml:"TreatMissingData"`
	} `yaml:"Properties"`
}

// TestTemplateAlarmsNameMetricsTheTillWrites parses the template and
// checks every alarm watches a metric the till writes, under the till's
// namespace and dimensions, and that the alarms the issue asks for are
// there.
func TestTemplateAlarmsNameMetricsTheTillWrites(t *testing.T) {
	var tpl struct {
		Resources map[string]alarm `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(emf.Template(), &tpl); err != nil {
		t.Fatal(err)
	}
	watched := map[string]alarm{}
	for name, a := range tpl.Resources {
		if a.Type != "AWS::CloudWatch::Alarm" {
			continue
		}
		p := a.Properties
		if !slices.Contains(pos.MetricNames(), p.MetricName) {
			t.Errorf("%s watches %q, which the till does not write", name, p.MetricName)
		}
		if p.Namespace != emf.Namespace {
			t.Errorf("%s: namespace %q, want %q", name, p.Namespace, emf.Namespace)
		}
		var dims []string
		for _, d := range p.Dimensions {
			dims = append(dims, d.Name)
		}
		if !slices.Equal(dims, []string{emf.DimStore, emf.DimTill}) {
			t.Errorf("%s: dimensions %v, want the till's [%s %s]", name, dims, emf.DimStore, emf.DimTill)
		}
		watched[p.MetricName] = a
	}
	want := []struct {
		metric    string
		threshold float64
		missing   string
	}{
		{pos.MetricHeartbeat, 1, "breaching"},
		{pos.MetricEventOldest, 15 * 60, "notBreaching"},
		{pos.MetricReceiptOldest, 15 * 60, "notBreaching"},
		{pos.MetricReconcileOldest, 30 * 60, "notBreaching"},
		{pos.MetricDBUnavailable, 0, "notBreaching"},
	}
	for _, w := range want {
		a, ok := watched[w.metric]
		if !ok {
			t.Errorf("no alarm on %s", w.metric)
			continue
		}
		if a.Properties.Threshold != w.threshold || a.Properties.TreatMissingData != w.missing {
			t.Errorf("%s: threshold %v, missing data %s; want %v, %s", w.metric, a.Properties.Threshold,
				a.Properties.TreatMissingData, w.threshold, w.missing)
		}
	}
}
