package ledger

import (
	"errors"
	"testing"
)

func TestCheckAdminChange(t *testing.T) {
	super := Admin{Role: RoleSuperAdmin}
	demoted := Admin{Role: RoleAdmin}
	disabled := Admin{Role: RoleSuperAdmin, Disabled: true}
	for _, c := range []struct {
		name          string
		before, after Admin
		others        int
		want          error
	}{
		{"last one demoted", super, demoted, 0, ErrLastSuperAdmin},
		{"last one disabled", super, disabled, 0, ErrLastSuperAdmin},
		{"another remains", super, demoted, 1, nil},
		{"renamed only", super, Admin{Role: RoleSuperAdmin, Name: "x"}, 0, nil},
		{"an admin changed", demoted, Admin{Role: RoleReviewer}, 0, nil},
		{"a disabled super admin re-enabled", disabled, super, 0, nil},
	} {
		if err := CheckAdminChange(c.before, c.after, c.others); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestCheckDirectTopUp(t *testing.T) {
	on, off := Settings{DirectTopUp: true}, Settings{}
	if err := CheckDirectTopUp(on, Actor{Role: RoleSuperAdmin}); err != nil {
		t.Errorf("super admin with the setting on: %v", err)
	}
	for _, c := range []struct {
		s    Settings
		role Role
	}{{off, RoleSuperAdmin}, {on, RoleAdmin}, {on, RoleReviewer}} {
		if err := CheckDirectTopUp(c.s, Actor{Role: c.role}); !errors.Is(err, ErrDirectTopUpOff) {
			t.Errorf("%s with direct=%v: got %v", c.role, c.s.DirectTopUp, err)
		}
	}
}

func TestCheckVoucherCount(t *testing.T) {
	if err := CheckVoucherCount(MaxVouchers - 1); err != nil {
		t.Errorf("the last voucher allowed: %v", err)
	}
	err := CheckVoucherCount(MaxVouchers)
	var v *ValidationError
	if !errors.As(err, &v) || v.Problems[0].Reason != "too_many_vouchers" {
		t.Errorf("one too many: %v", err)
	}
}
