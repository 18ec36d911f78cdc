package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
)

// ListingSink receives a listing from DecodeListing: each release in
// order, then the listing's head. DecodeListing reuses the release for the
// next one, so a sink copies what it keeps.
type ListingSink interface {
	Release(r *Release) error
	Listing(repository, module string, defaultUpgrade bool) error
	Drop() // forget the releases received since the last Listing
}

// errNotStreamable sends DecodeListing to ParseListing: the document's
// layout is not the usual one (schema, repository and module before the
// versions, no field twice), or it is invalid and ParseListing words the error.
var errNotStreamable = errors.New("listing not streamable")

// DecodeListing reads and validates a listing document like ParseListing,
// accepting and refusing exactly what it does with the same messages, but
// hands each release to sink as it is decoded: no Listing nor slice of
// releases is built. On an error the sink has dropped what it received.
func DecodeListing(data []byte, sink ListingSink) error {
	err := streamListing(data, sink)
	if err == nil {
		return nil
	}
	sink.Drop()
	l, err := ParseListing(data)
	if err != nil {
		return err
	}
	for i := range l.Versions {
		if err := sink.Release(&l.Versions[i]); err != nil {
			sink.Drop()
			return err
		}
	}
	if err := sink.Listing(l.Repository, l.Module, l.DefaultUpgrade); err != nil {
		sink.Drop()
		return err
	}
	return nil
}

// headKeys are the listing's fields.
var headKeys = []string{"schema", "repository", "module", "default_upgrade", "versions"}

// listingHead is what comes before the versions.
type listingHead struct {
	schema             int
	repository, module string
	du                 bool
	seen               map[string]bool
}

// streamListing decodes a listing of the usual layout; any surprise or
// invalid input is errNotStreamable (ParseListing then says what is wrong).
func streamListing(data []byte, sink ListingSink) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errNotStreamable
	}
	h := listingHead{seen: map[string]bool{}}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok || h.seen[key] {
			return errNotStreamable
		}
		h.seen[key] = true
		if err := h.field(dec, key, sink); err != nil {
			return err
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') || dec.More() || h.schema != ListingSchema || !h.seen["versions"] {
		return errNotStreamable
	}
	if _, err := dec.Token(); err != io.EOF { // something after the object
		return errNotStreamable
	}
	return sink.Listing(h.repository, h.module, h.du)
}

// field decodes one top-level field.
func (h *listingHead) field(dec *json.Decoder, key string, sink ListingSink) error {
	var err error
	switch key {
	case "schema":
		err = dec.Decode(&h.schema)
	case "repository", "module":
		if h.seen["versions"] {
			return errNotStreamable
		}
		target := &h.repository
		if key == "module" {
			target = &h.module
		}
		err = dec.Decode(target)
	case "default_upgrade":
		err = dec.Decode(&h.du)
	case "versions":
		if !h.seen["schema"] || !h.seen["repository"] || !h.seen["module"] || h.schema != ListingSchema {
			return errNotStreamable
		}
		return h.versions(dec, sink)
	default:
		if slices.ContainsFunc(headKeys, func(k string) bool { return strings.EqualFold(k, key) }) {
			return errNotStreamable // encoding/json would match it to a field, ignoring case
		}
		var skip json.RawMessage
		err = dec.Decode(&skip)
	}
	if err != nil {
		return errNotStreamable
	}
	return nil
}

// versions decodes the releases one at a time, validates each as
// ParseListing does, and hands it to the sink.
func (h *listingHead) versions(dec *json.Decoder, sink ListingSink) error {
	l := Listing{Repository: h.repository, Module: h.module}
	if l.validate() != nil { // the head alone: ParseListing words the error
		return errNotStreamable
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return errNotStreamable
	}
	var prev Version
	for i := 0; dec.More(); i++ {
		var r Release
		if err := dec.Decode(&r); err != nil {
			return errNotStreamable
		}
		normalize(&r)
		if r.validate(h.module) != nil || i > 0 && r.Version.Compare(prev) <= 0 {
			return errNotStreamable
		}
		prev = r.Version
		if err := sink.Release(&r); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return errNotStreamable
	}
	return nil
}

// normalize gives a decoded release ParseListing's form: UTC publication
// time, empty lists as nil.
func normalize(r *Release) {
	r.Published = r.Published.UTC()
	if len(r.Depends) == 0 {
		r.Depends = nil
	}
	if len(r.Scripts) == 0 {
		r.Scripts = nil
	}
	if len(r.Advisories) == 0 {
		r.Advisories = nil
	}
}
