package repo

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog/synth"
)

// BenchmarkServeNotModified measures conditional GETs of timestamp.json
// answered 304 over loopback HTTP with keep-alive, from parallel clients.
func BenchmarkServeNotModified(b *testing.B) {
	s, _ := newTestStoreB(b)
	publishSample(b, s)
	h, err := NewServer(s, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	url := srv.URL + "/2.50/metadata/timestamp.json"
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("If-None-Match", etag)
		for pb.Next() {
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotModified {
				b.Errorf("status %d, want 304", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkPublishOne publishes one version into a 2,000-module catalog.
func BenchmarkPublishOne(b *testing.B) {
	ctx := b.Context()
	s, _ := newTestStoreB(b)
	var imp []ImportRelease
	for _, r := range synth.Generate(synth.Config{Modules: 2000, VersionsPerModule: 10, Seed: 1}) {
		imp = append(imp, ImportRelease{Manifest: r.Manifest, Archive: r.Archive})
	}
	if _, err := s.Import(ctx, imp, admin); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data, err := mod(synth.ModuleName(i%2000), fmt.Sprintf("1.5.%d", i), "core>=2.50.0").Archive()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Publish(ctx, data, admin); err != nil {
			b.Fatal(err)
		}
	}
}
