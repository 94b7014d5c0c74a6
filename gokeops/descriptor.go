package gokeops

// The call descriptor of Run is an int64 array, laid out here and nowhere
// else: the Python layer reads these constants from the extension (gopy
// exports them) to write it. In order:
//
//	header, HeaderWords words: version, token, M, N, nbatch
//	batch shape: nbatch words
//	nargs
//	per argument, ArgWords + nbatch words: address, length, its batch shape
//	outputs, OutWords words: values address, length, indices address, length
//	hasRanges (0 or 1), then when 1, RangeArrays x (address, length) for
//	ranges_i, slices_i, redranges_j, ranges_j, slices_j, redranges_i
//
// Lengths count elements: dtype elements for data and values, int64 for
// indices and ranges. token names the call for Cancel.
const (
	WordVersion = iota
	WordToken
	WordM
	WordN
	WordNBatch
	HeaderWords
)

// DescriptorVersion is the first word of every descriptor. It changes with
// the layout; Run refuses any other, so an extension and a Python package of
// different builds fail with an error instead of misreading addresses.
const DescriptorVersion = 1

// Word counts of the parts of a descriptor after the header.
const (
	ArgWords    = 2 // address, length; the argument's batch shape follows
	OutWords    = 4
	RangeArrays = 6
)
