"""The schemas of the kinds istiotui serves: built as data, one source for validation and the
`/openapi/v3` documents. `kind_schemas` lists the kinds; `walker` checks values against a schema."""
