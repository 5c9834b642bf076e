package receipts

// DiskError is diskError, for the tests of the receipts_test package.
var DiskError = diskError
