// Command coffer runs Coffer, the ledger for customers' prepaid money.
//
//	coffer serve [--addr 127.0.0.1:8080] [--db coffer.db | --db postgres://…]
package main

import (
	"fmt"
	"os"
)

const usage = `Coffer keeps customers' prepaid money: accounts, top-ups, charges, adjustments.

Usage:
  coffer serve [flags]   start the web UI and API (coffer serve -h for flags)
  coffer backup FILE     copy the SQLite database to FILE while the server runs
  coffer demo [flags]    fill an empty database with realistic demo data
  coffer bench [flags]   load a running server over loopback HTTP and measure it
  coffer admin create --username U --role R [--db]
                         add an administrator (password from COFFER_ADMIN_PASSWORD or stdin)
  coffer token create --by ADMIN --name N --role R [--expires 720h] [--db]
                         make a program token for another system
  coffer migrate status|up [--db]
                         show the schema migrations, or apply those pending
  coffer verify [--db]   check the ledger's balances and the operation records' chain
  coffer import FILE.csv [--db] [--dry-run] [--by ADMIN]
                         import customers, accounts and opening balances (docs/import.md)
  coffer version         show the version, commit and Go release of this build
  coffer help            show this text
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "backup":
		err = runBackup(os.Args[2:])
	case "demo":
		err = runDemo(os.Args[2:])
	case "bench":
		err = bench(os.Args[2:])
	case "admin":
		err = runAdmin(os.Args[2:], os.Stdin, os.Stdout)
	case "token":
		err = runToken(os.Args[2:], os.Stdout)
	case "migrate":
		err = runMigrate(os.Args[2:], os.Stdout)
	case "verify":
		err = runVerify(os.Args[2:], os.Stdout)
	case "import":
		err = runImport(os.Args[2:], os.Stdout)
	case "version", "--version":
		fmt.Println(version())
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "coffer: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "coffer:", err)
		os.Exit(1)
	}
}
