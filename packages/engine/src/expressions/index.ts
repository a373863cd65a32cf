export { compileExpression, isScalar, readAttribute } from "./compile.ts";
export type {
  AttributeKey,
  Attributes,
  CompiledExpression,
  EvaluationContext,
  ExpressionScope,
  QueuePopulation,
  WorkerFacts,
} from "./compile.ts";
export { ExpressionError, parseExpression } from "./syntax.ts";
export type { ExpressionNode, Operand, Operator, Scalar } from "./syntax.ts";
