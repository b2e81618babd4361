package ledger

import (
	"crypto/rand"
	"math/big"
)

// Account numbers are 11 random digits and a Damm check digit. Damm catches
// every single-digit typo and every swap of two adjacent digits (Luhn misses
// 09<->90), which is what goes wrong when a number is read over the phone.
var dammTable = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

func dammDigit(digits string) byte {
	var interim byte
	for i := 0; i < len(digits); i++ {
		interim = dammTable[interim][digits[i]-'0']
	}
	return interim
}

// NewAccountNumber returns a fresh random account number.
func NewAccountNumber() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9e10))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	body := big.NewInt(0).Add(n, big.NewInt(1e10)).String() // 11 digits, no leading zero
	return body + string('0'+dammDigit(body))
}

// ValidAccountNumber reports whether s is 12 digits with a correct check digit.
func ValidAccountNumber(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return dammDigit(s) == 0
}
