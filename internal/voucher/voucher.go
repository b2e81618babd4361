// Package voucher judges uploaded voucher images by their bytes.
package voucher

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
)

// Voucher images are judged by their bytes, never by file name or declared
// type: the magic number must be PNG or JPEG, the header must decode with
// sane dimensions, and the whole image must decode (a truncated file does
// not). Bytes after a complete image are kept but harmless: vouchers are
// served with their stored image type, nosniff and a sandboxing CSP.

// ErrNotImage means the bytes are not a complete PNG or JPEG image.
var ErrNotImage = errors.New("not a PNG or JPEG image")

// maxVoucherPixels bounds the decoded size (a small file can claim a huge
// canvas and exhaust memory when decoded).
const maxVoucherPixels = 40_000_000

// Sniff returns the content type of a PNG or JPEG voucher image.
func Sniff(data []byte) (string, error) {
	var contentType string
	var decodeConfig func([]byte) (image.Config, error)
	var decode func([]byte) error
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		contentType = "image/png"
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) error { _, err := png.Decode(bytes.NewReader(b)); return err }
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		contentType = "image/jpeg"
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) error { _, err := jpeg.Decode(bytes.NewReader(b)); return err }
	default:
		return "", ErrNotImage
	}
	cfg, err := decodeConfig(data)
	if err != nil {
		return "", fmt.Errorf("%w: its header does not decode (%v)", ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxVoucherPixels {
		return "", fmt.Errorf("%w: %dx%d pixels is not a plausible voucher", ErrNotImage, cfg.Width, cfg.Height)
	}
	if err := decode(data); err != nil {
		return "", fmt.Errorf("%w: the image is damaged or incomplete (%v)", ErrNotImage, err)
	}
	return contentType, nil
}

// MaxBytes is the largest voucher image accepted: 2 MB.
const MaxBytes = 2 << 20
