import { AppError } from "../errors.js";

/** One answer for a wrong code, a spent time step and a spent recovery code: nothing to tell them apart by. */
export const invalidSecondFactor = () => new AppError(400, "invalid_second_factor", "The code is not valid, or it was already used");
export const totpNotEnabled = () => new AppError(409, "totp_not_enabled", "No authenticator app is set up for this account");
export const totpAlreadyEnabled = () => new AppError(409, "totp_already_enabled", "An authenticator app is already set up; disable it first to set up another");
export const noPendingEnrolment = () => new AppError(409, "totp_not_pending", "No authenticator set-up is waiting for a code; start again");
/** 401 as in OAuth's step-up challenge (RFC 9470): the session is known, its authentication is not recent enough. */
export const stepUpRequired = () =>
  new AppError(401, "step_up_required", "Confirm with a current code from your authenticator app (field `code`)");
