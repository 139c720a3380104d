-- A second factor is required of every member of every NEW workspace: a session whose
-- passkey verified the user passes at once; any other (a Google sign-in) must set up
-- or enter a TOTP code first. The owner may still turn it off (audited,
-- workspace.require_mfa_disabled). Existing workspaces keep the setting they have.

ALTER TABLE workspaces ALTER COLUMN require_mfa SET DEFAULT true;
