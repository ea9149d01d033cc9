/**
 * Typed errors of the analysis service.
 */
import { ErrorCode, GatehouseError } from '../../../shared/model/result';

/** SARIF input that does not match SARIF 2.1.0 (or is too large to accept). */
export class SarifInputError extends GatehouseError {
  constructor(message: string, details?: unknown) {
    super(ErrorCode.InvalidInput, message, details);
  }
}

/** A rule whose query does not compile for one of its languages: a bug in the rule, not the input. */
export class RuleDefinitionError extends GatehouseError {
  constructor(
    readonly ruleId: string,
    message: string,
  ) {
    super(ErrorCode.Internal, `rule ${ruleId}: ${message}`);
  }
}

/** An analysis was cancelled by its caller before it finished. */
export class AnalysisCancelledError extends GatehouseError {
  constructor(message = 'analysis cancelled') {
    super(ErrorCode.Cancelled, message);
  }
}

/** The analysis machinery (grammar files, worker thread) failed. */
export class AnalysisFailedError extends GatehouseError {
  constructor(message: string, details?: unknown) {
    super(ErrorCode.Internal, message, details);
  }
}
