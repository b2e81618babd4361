package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// cliActor is who the operation record names for what these commands do:
// someone with the database in hand, which is a super admin's power.
var cliActor = ledger.Actor{Name: "command line", Role: ledger.RoleSuperAdmin}

// runAdmin creates an administrator from the command line, for a first
// admin on a server not yet started or one more when nobody can log in:
// `coffer admin create --username U --role R [--name N] [--db coffer.db]`,
// the password from COFFER_ADMIN_PASSWORD or the first line of standard
// input (never a flag, which other users of the machine could read).
func runAdmin(args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("admin: coffer admin create --username U --role super_admin|admin|reviewer [--name N] [--db coffer.db]")
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	dsn := fs.String("db", envOr("COFFER_DB", "coffer.db"), "SQLite file, or postgres://… URL (env COFFER_DB)")
	username := fs.String("username", "", "the administrator's user name")
	role := fs.String("role", "", "super_admin, admin or reviewer")
	name := fs.String("name", "", "the administrator's full name (default: the user name)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	password, err := secretInput(in)
	if err != nil {
		return err
	}
	if err := auth.ValidatePassword(password); err != nil {
		return fmt.Errorf("admin: the password %v", err)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	if *name == "" {
		*name = *username
	}
	// A first administrator may come before the server's first start: the
	// database is created here then.
	return withStore(*dsn, true, func(ctx context.Context, st *store.Store) error {
		a, err := st.AddAdmin(ctx, cliActor, ledger.Admin{Username: *username, Name: *name, Role: ledger.Role(*role), PasswordHash: hash})
		if err != nil {
			return fmt.Errorf("admin: %w", err)
		}
		fmt.Fprintf(out, "created %s (%s); they log in with the password given\n", a.Username, a.Role)
		return nil
	})
}

// runToken makes a program token for another system, printed once:
// `coffer token create --by ADMIN --name N --role R [--expires 720h] [--db coffer.db]`.
// A token is made on a super admin's authority (--by), as in the console.
func runToken(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("token: coffer token create --by SUPER_ADMIN --name N --role super_admin|admin|reviewer [--expires 720h] [--db coffer.db]")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	dsn := fs.String("db", envOr("COFFER_DB", "coffer.db"), "SQLite file, or postgres://… URL (env COFFER_DB)")
	by := fs.String("by", "", "the user name of the super admin on whose authority the token is made")
	name := fs.String("name", "", "what the token is for (shown in the token list and the operation records)")
	role := fs.String("role", "", "super_admin, admin or reviewer")
	expires := fs.Duration("expires", 0, "how long the token is valid (e.g. 720h; default: until revoked)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var until *time.Time
	if *expires != 0 {
		t := time.Now().Add(*expires)
		until = &t
	}
	return withStore(*dsn, false, func(ctx context.Context, st *store.Store) error {
		owner, err := st.AdminByUsername(ctx, *by)
		if err != nil || owner.Disabled || owner.Role != ledger.RoleSuperAdmin {
			return fmt.Errorf("token: --by must name an active super admin (%q does not)", *by)
		}
		actor := ledger.Actor{AdminID: owner.ID, Name: owner.Username + " (command line)", Role: owner.Role}
		secret, t, err := st.CreateProgramToken(ctx, actor, *name, ledger.Role(*role), until)
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		fmt.Fprintf(out, "token %d %q (%s); its secret, shown this once:\n%s\n", t.ID, *name, *role, secret)
		return nil
	})
}

// secretInput is COFFER_ADMIN_PASSWORD, or the first line of in.
func secretInput(in io.Reader) (string, error) {
	if p := os.Getenv("COFFER_ADMIN_PASSWORD"); p != "" {
		return p, nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", errors.New("admin: give the password in COFFER_ADMIN_PASSWORD or on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// withStore opens the database (migrating it, as the server would), runs fn
// and closes it. Unless create, an SQLite file must exist already.
func withStore(dsn string, create bool, fn func(ctx context.Context, st *store.Store) error) error {
	if err := existing(dsn); err != nil && !create {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(ctx, st)
}
