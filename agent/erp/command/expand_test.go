package command

import (
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/erp"
)

func TestExpand(t *testing.T) {
	odoo := []string{"odoo-bin", "-d", "erp", "-u", "{modules}", "-i", "{install}", "--stop-after-init"}
	joined := []string{"odoo-bin", "--update={modules}", "--init={install}", "--disable={disable}"}
	tests := []struct {
		name string
		argv []string
		req  erp.UpdateRequest
		want string
	}{
		{"modules", odoo, erp.UpdateRequest{Modules: []string{"sale", "stock"}}, "odoo-bin -d erp -u sale,stock --stop-after-init"},
		{"all wins over modules", odoo, erp.UpdateRequest{All: true, Modules: []string{"sale"}}, "odoo-bin -d erp -u all --stop-after-init"},
		{"install only drops -u", odoo, erp.UpdateRequest{Install: []string{"crm"}}, "odoo-bin -d erp -i crm --stop-after-init"},
		{"both", odoo, erp.UpdateRequest{Modules: []string{"base"}, Install: []string{"crm", "note"}}, "odoo-bin -d erp -u base -i crm,note --stop-after-init"},
		{"joined flags", joined, erp.UpdateRequest{Disable: []string{"reports"}}, "odoo-bin --disable=reports"},
		{"joined all three", joined, erp.UpdateRequest{All: true, Install: []string{"a"}, Disable: []string{"b"}}, "odoo-bin --update=all --init=a --disable=b"},
		{"placeholder inside an argument", []string{"sh", "-c", "update {modules}"}, erp.UpdateRequest{Modules: []string{"x"}}, "sh -c update x"},
		{"the program is never dropped", []string{"upd", "{install}", "{modules}"}, erp.UpdateRequest{Modules: []string{"x"}}, "upd x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expand(tt.argv, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("expand = %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestExpandRefuses(t *testing.T) {
	odoo := []string{"odoo-bin", "-u", "{modules}"}
	tests := []struct {
		name string
		req  erp.UpdateRequest
		want string
	}{
		{"nothing to do", erp.UpdateRequest{}, "nothing to update"},
		{"install without {install}", erp.UpdateRequest{Install: []string{"crm"}}, "no {install} placeholder"},
		{"disable without {disable}", erp.UpdateRequest{Modules: []string{"a"}, Disable: []string{"crm"}}, "no {disable} placeholder"},
		{"a name that is a flag", erp.UpdateRequest{Modules: []string{"--stop-after-init"}}, "must start with a lowercase letter"},
		{"a name with a comma", erp.UpdateRequest{Modules: []string{"a,b"}}, "is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expand(odoo, tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("expand = %q, %v; want an error saying %q", got, err, tt.want)
			}
		})
	}
}
