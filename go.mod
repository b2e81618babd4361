module coffer

go 1.26.0

require (
	github.com/bojanz/currency v1.4.2
	golang.org/x/crypto v0.59.0
)

require (
	github.com/cockroachdb/apd/v3 v3.2.1 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
