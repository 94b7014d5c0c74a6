// Package formula turns a KeOps formula string into a checked, differentiated,
// canonical expression tree.
//
// The stages follow go/scanner and go/parser: the lexer turns bytes into
// tokens, Parse turns tokens into an [Expr] whose operator nodes are [Call]s
// of an [Op], Bind replaces alias names by [Var] leaves, Check infers every
// node's dimension, and Lower expands composite operations and symbolic
// derivatives until every [Call] names an engine primitive ([Prim]),
// simplifying as KeOps' constructors do. [Compile] runs them all; [Print]
// writes any tree back as text that parses to an [Equal] tree.
//
// Every fact about an operation — its name, parameters, dimension rule,
// expansion, derivative, linearity and primitive — is one row of the op
// table in optable.go; the parser, the dimension checker, the
// differentiator, the simplifier, Lower and the code generators all read
// that table. Expansions and derivatives are formula templates parsed once
// at initialisation (template.go).
//
// Files, one stage each: token, lexer, parser (text to tree); ast, walk,
// print (the tree); alias (aliases and signatures); optable, prim (the
// language); dims (Check); lower, template, simplify, diff, linear (Lower);
// canonical (one spelling per value, for the engine's planner); errors;
// compile (the pipeline).
package formula
