package backend

import (
	"net/url"
	"strings"
	"testing"
)

func TestMaskSecrets(t *testing.T) {
	text := `url = "postgresql://erp:pa55@db:5432/erp"
webhook_url = "https://hooks.example.com/in?team=ops&token=s3cret"
other = "postgresql://erp:an0ther@db:5432/erp" # the same but for the password
plain = "https://cr.example.com/" # no secret
`
	masked, originals := maskSecrets(text)
	for _, secret := range []string{"pa55", "s3cret", "an0ther"} {
		if strings.Contains(masked, secret) {
			t.Errorf("%q shows in the masked text:\n%s", secret, masked)
		}
	}
	for _, want := range []string{"erp:xxxxx@db", "erp:xxxxx2@db", "team=ops", "token=xxxxx", "https://cr.example.com/"} {
		if !strings.Contains(masked, want) {
			t.Errorf("%q is missing from the masked text:\n%s", want, masked)
		}
	}
	if len(originals) != 3 {
		t.Errorf("%d masked URLs, want 3: %v", len(originals), originals)
	}
	if got := unmaskSecrets(masked, text); got != text {
		t.Errorf("unmasked:\n%s\nwant:\n%s", got, text)
	}
	// A URL that already reads like a masked one keeps its own text.
	text = "a = \"postgresql://erp:pa55@db/erp\"\nb = \"postgresql://erp:xxxxx@db/erp\"\n"
	if masked, _ = maskSecrets(text); strings.Contains(masked, "pa55") || unmaskSecrets(masked, text) != text {
		t.Errorf("masked %q", masked)
	}
}

func FuzzMaskSecrets(f *testing.F) {
	for _, s := range []string{
		"url = \"postgresql://u:p@h/db\"",
		"a://?token=x b://u:p@h a://u:xxxxx@h",
		"masked://xxxxx http://u:p@h/%zz",
		"x=https://h/p?key=1;sig=2 y='https://u:v@h'",
		"HTTP://U:P@H/P?Secret=1&secret=2#f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		masked, _ := maskSecrets(text)
		if got := unmaskSecrets(masked, text); got != text {
			t.Fatalf("round trip of %q: masked %q, back %q", text, masked, got)
		}
		for _, tok := range urlPattern.FindAllString(masked, -1) {
			u, err := url.Parse(tok)
			if err != nil {
				if strings.ContainsAny(tok, "@?&") {
					t.Fatalf("an unreadable URL that may hold a secret shows: %q in %q", tok, masked)
				}
				continue
			}
			if p, has := u.User.Password(); has && !strings.HasPrefix(p, maskWord) {
				t.Fatalf("a password shows: %q in %q", tok, masked)
			}
			q, _ := url.ParseQuery(u.RawQuery)
			for k, vs := range q {
				for _, v := range vs {
					if isSecretParam(k) && !strings.HasPrefix(v, maskWord) {
						t.Fatalf("secret parameter %s shows: %q in %q", k, tok, masked)
					}
				}
			}
		}
	})
}
