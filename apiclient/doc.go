// Package apiclient is a Go client of Coffer's API v1, generated with
// oapi-codegen from the OpenAPI document the server serves
// (/api/v1/openapi-3.0.json, kept beside it; a test fails when the two
// differ). Other systems import it to post charges and read the ledger:
//
//	c, _ := apiclient.NewClientWithResponses("https://coffer.example.com", apiclient.WithRequestEditorFn(bearer))
//	res, _ := c.PostChargeWithResponse(ctx, &apiclient.PostChargeParams{IdempotencyKey: &key}, body)
//
// After a change to the API, go generate ./apiclient saves the served
// document here and generates the client from it again.
package apiclient

//go:generate go test -count=1 -run TestDocumentIsCurrent . -update
//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi-3.0.json
