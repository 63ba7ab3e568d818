export {
  createTransformer,
  DEFAULT_TRANSFORM_LIMITS,
  type TransformLimits,
  type TransformOutcome,
  type Transformer,
} from './transformer.js';
