package core

import (
	"math"
	"strings"

	"github.com/gokeops/gokeops/pkg/errkind"
)

// Reduction is a reduction of the KeOps API, by its reduction_op name.
type Reduction uint8

const (
	Sum Reduction = iota
	Min
	Max
	ArgMin
	ArgMax
	MinArgMin
	MaxArgMax
	KMin
	ArgKMin
	KMinArgKMin
	LogSumExp
	LogSumExpWeight
	MaxSumShiftExp
	MaxSumShiftExpWeight
	SumSoftMaxWeight
	numReductions
)

// ReductionInfo describes a reduction: its names and what it takes.
type ReductionInfo struct {
	Name     string
	NeedsK   bool // opt_arg K is required
	Weight   int  // 0: no formula2; 1: optional; 2: required
	SumType  bool // accepts dtype_acc and block_sum / kahan_scheme
	ScalarF  bool // the formula must have dimension 1
	HasIndex bool // some output is an index (float32 size limit applies)
}

var reductionTable = [numReductions]ReductionInfo{
	Sum:                  {Name: "Sum", SumType: true},
	Min:                  {Name: "Min"},
	Max:                  {Name: "Max"},
	ArgMin:               {Name: "ArgMin", HasIndex: true},
	ArgMax:               {Name: "ArgMax", HasIndex: true},
	MinArgMin:            {Name: "Min_ArgMin", HasIndex: true},
	MaxArgMax:            {Name: "Max_ArgMax", HasIndex: true},
	KMin:                 {Name: "KMin", NeedsK: true},
	ArgKMin:              {Name: "ArgKMin", NeedsK: true, HasIndex: true},
	KMinArgKMin:          {Name: "KMin_ArgKMin", NeedsK: true, HasIndex: true},
	LogSumExp:            {Name: "LogSumExp", Weight: 1, SumType: true, ScalarF: true},
	LogSumExpWeight:      {Name: "LogSumExpWeight", Weight: 2, SumType: true, ScalarF: true},
	MaxSumShiftExp:       {Name: "Max_SumShiftExp", SumType: true, ScalarF: true},
	MaxSumShiftExpWeight: {Name: "Max_SumShiftExpWeight", Weight: 1, SumType: true, ScalarF: true},
	SumSoftMaxWeight:     {Name: "SumSoftMaxWeight", Weight: 2, SumType: true, ScalarF: true},
}

// ParseReduction finds a reduction by name; SoftMax is SumSoftMaxWeight.
func ParseReduction(name string) (Reduction, error) {
	if alias, ok := ReductionAliases[name]; ok {
		name = alias
	}
	for r, info := range reductionTable {
		if info.Name == name {
			return Reduction(r), nil
		}
	}
	var names []string
	for _, info := range reductionTable {
		names = append(names, info.Name)
	}
	return 0, errkind.Errorf(errkind.BadValue, "unknown reduction_op %q: expected one of %s, SoftMax", name, strings.Join(names, ", "))
}

func (r Reduction) String() string { return reductionTable[r].Name }

// Info returns the row of r.
func (r Reduction) Info() ReductionInfo { return reductionTable[r] }

// Reductions lists the rows of the reduction table, in Reduction order;
// ReductionAliases gives the other names ParseReduction accepts.
func Reductions() []ReductionInfo { return reductionTable[:] }

// ReductionAliases maps each other name of a reduction to its table name.
var ReductionAliases = map[string]string{"SoftMax": "SumSoftMaxWeight"}

// SumScheme is how Sum-type reductions add their terms.
type SumScheme uint8

const (
	BlockSum  SumScheme = iota // a partial sum per tile, added to the accumulator (default)
	DirectSum                  // every term added to the accumulator
	KahanSum                   // compensated summation
)

// outDims gives the dimensions of the values output and of the index
// output (0 when absent) for formula dimension d, K and weight dimension dg.
func (r Reduction) outDims(d, k, dg int) (vals, idx int) {
	switch r {
	case Sum, Min, Max:
		return d, 0
	case ArgMin, ArgMax:
		return 0, d
	case MinArgMin, MaxArgMax:
		return d, d
	case KMin:
		return k * d, 0
	case ArgKMin:
		return 0, k * d
	case KMinArgKMin:
		return k * d, k * d
	case LogSumExp:
		return dg, 0
	case LogSumExpWeight, MaxSumShiftExp, MaxSumShiftExpWeight:
		return 1 + dg, 0
	case SumSoftMaxWeight:
		return dg - 1, 0 // the weight was prefixed with a 1 (see Compile)
	}
	return 0, 0
}

var inf = math.Inf(1)
