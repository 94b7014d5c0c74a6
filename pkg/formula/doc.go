// Package formula turns a KeOps formula string into a checked, differentiated,
// canonical expression tree.
//
// The stages follow go/scanner and go/parser: the lexer turns bytes into
// tokens, Parse turns tokens into an [Expr] whose operator nodes are [Call]s
// of an [Op], Bind replaces alias names by [Var] leaves, Check infers every
// node's dimension, and Lower expands composite operations and symbolic
// derivatives until every [Call] names an engine primitive ([Prim]).
//
// Every fact about an operation — its name, arity, integer parameters,
// dimension rule, derivative and primitive — is one row of the op table in
// optable.go; the parser, the dimension checker, the differentiator and the
// code generators all read that table.
package formula
