"""The schemas of the kinds istiotui serves: built as data, one source for validation and the
`/openapi/v3` documents. `registry` lists the kinds; `walker` checks values against a schema."""
