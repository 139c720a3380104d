import { AppError } from "../errors.js";

export const exportApprovalRequired = (rows: number, threshold: number) =>
  new AppError(403, "export_approval_required", `This export has ${rows} rows, more than the workspace's threshold of ${threshold}: ask for it with POST /v1/exports, and an owner approves it`, { rows, threshold, request: "POST /v1/exports" });

export const exportNotReady = (status: string) =>
  new AppError(409, "export_not_ready", status === "denied" ? "This export was denied: it will not be produced" : `This export is not ready to download (status ${status})`, { status });

export const exportGone = (why: "downloaded" | "expired") =>
  new AppError(410, "export_gone", why === "downloaded" ? "This export was downloaded already: a file is downloaded once" : "This export expired: a file is kept 24 hours after it is ready", { reason: why });

export const notRequester = () => new AppError(403, "forbidden", "Only whoever asked for this export may download it", { missing: [] });

export const notPendingApproval = (status: string) => new AppError(409, "export_not_pending", `This export is not waiting for approval (status ${status})`, { status });
