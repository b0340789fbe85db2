package templates

import "testing"

func TestLocalPathRejectsOtherHosts(t *testing.T) {
	for _, p := range []string{
		"//evil.example", "/\\evil.example", "/./\\evil.example", "/x/../\\evil.example",
		"https://evil.example", "evil.example", "/a\r\nSet-Cookie: x", "",
	} {
		if localPath(p) {
			t.Errorf("localPath(%q) = true, want false", p)
		}
	}
	for _, p := range []string{"/", "/settings/office", "/login?id=ar_x", "/a/b/../c"} {
		if !localPath(p) {
			t.Errorf("localPath(%q) = false, want true", p)
		}
	}
}
