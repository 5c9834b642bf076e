package store

// CustomerSearchSQL is customerSearchSQL, for EXPLAIN in the search tests.
var CustomerSearchSQL = customerSearchSQL
