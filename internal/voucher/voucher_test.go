package voucher

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

func picture() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 9))
	for x := 0; x < 16; x++ {
		img.Set(x, x%9, color.RGBA{200, uint8(x * 10), 30, 255})
	}
	return img
}

func encoded(t testing.TB, enc func(*bytes.Buffer) error) []byte {
	var b bytes.Buffer
	if err := enc(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	pngData := encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, picture()) })
	jpgData := encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, picture(), nil) })
	gifData := encoded(t, func(b *bytes.Buffer) error { return gif.Encode(b, picture(), nil) })
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"png", pngData, "image/png"},
		{"jpeg", jpgData, "image/jpeg"},
		{"png with trailing html", append(append([]byte{}, pngData...), "<html>"...), "image/png"},
		{"gif", gifData, ""},
		{"text", []byte("hello"), ""},
		{"empty", nil, ""},
		{"truncated png", pngData[:len(pngData)-20], ""},
		{"png header only", pngData[:40], ""},
		{"truncated jpeg", jpgData[:len(jpgData)/2], ""},
		{"png magic then garbage", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 100)...), ""},
	} {
		got, err := Sniff(tc.data)
		if tc.want == "" {
			if err == nil || !errors.Is(err, ErrNotImage) {
				t.Errorf("%s: accepted as %s", tc.name, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %s", tc.name, got, err, tc.want)
		}
	}
}

// FuzzSniff: whatever bytes arrive, Sniff does not panic, and what it
// accepts is a PNG or JPEG that decodes.
func FuzzSniff(f *testing.F) {
	f.Add(encoded(f, func(b *bytes.Buffer) error { return png.Encode(b, picture()) }))
	f.Add(encoded(f, func(b *bytes.Buffer) error { return jpeg.Encode(b, picture(), nil) }))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE0})
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, err := Sniff(data)
		if err != nil {
			return
		}
		if ct != "image/png" && ct != "image/jpeg" {
			t.Fatalf("accepted with type %q", ct)
		}
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			t.Fatalf("accepted %s does not decode: %v", ct, err)
		}
	})
}
