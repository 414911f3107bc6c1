export type Principal =
  { kind: 'api_key'; apiKeyId: string; orgId: string } | { kind: 'user'; userId: string; externalId: string };

/** Who is calling and which project every data-plane query is scoped to. */
export interface ProjectContext {
  projectId: string;
  orgId: string;
  principal: Principal;
}

/** A Bearer-authenticated user, for management routes that are not project-scoped. */
export interface UserContext {
  userId: string;
  externalId: string;
}
