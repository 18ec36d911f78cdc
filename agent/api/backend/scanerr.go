package backend

import (
	"errors"
	"fmt"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/modname"
	"github.com/upkeep-erp/upkeep/agent/scanner"
)

// scanFailure gives the error of a scan (or of a plan, which scans) its
// cause on the API, the one the command line gives an exit code for
// standalone: an api.ScanError with api.CodeUntrusted, CodeRepository,
// CodeERP or CodeConfig. Other errors pass unchanged.
func scanFailure(err error) error {
	var (
		code string
		ue   *modname.UnknownError
		ues  modname.Errors
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue), errors.As(err, &ues):
		return unknownModule(err)
	case errors.Is(err, scanner.ErrUntrusted):
		code = api.CodeUntrusted
	case errors.Is(err, scanner.ErrRepository):
		code = api.CodeRepository
	case errors.Is(err, scanner.ErrERP):
		code = api.CodeERP
	case errors.Is(err, scanner.ErrConfig):
		code = api.CodeConfig
	default:
		return err
	}
	return &api.ScanError{Code: code, Message: err.Error()}
}

// unknownModule is the API's error for module names that are not known.
func unknownModule(err error) error {
	return &api.BadRequestError{Code: api.CodeUnknownModule, Message: err.Error()}
}

// openERP opens the configured ERP's reader. It fails when the ERP cannot
// be opened as configured, which the command line reports as a
// configuration error (exit 2): an api.ScanError with CodeConfig.
func (b *Backend) openERP(c *config.Config) (erp.Reader, error) {
	if b.o.Open == nil {
		return nil, &api.NotAvailableError{Feature: "reading the ERP through the service"}
	}
	h, err := b.o.Open(c)
	var r erp.Reader
	if err == nil {
		r, err = h.Reader()
	}
	if err != nil {
		return nil, &api.ScanError{Code: api.CodeConfig, Message: fmt.Sprintf("open the ERP (erp.kind = %q): %v: check [erp] in %s", c.ERP.Kind, err, c.Path())}
	}
	return r, nil
}
