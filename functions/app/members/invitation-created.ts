// The page is the dashboard's members page with the link on it (functions/app/pages/members.tsx).
export { invitationCreatedPage } from "../pages/members.js";
