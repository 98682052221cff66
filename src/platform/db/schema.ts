import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table types as both drivers return them: text ids, ISO-8601 text timestamps, 0/1 integers
 * for booleans, JSON stored as text.
 */
export interface OrgTable {
  id: string;
  name: string;
  slug: string;
  /** Extracted fields below this confidence (0..1) send a document to the review queue. */
  review_threshold: number;
  /** Changes whenever the organization's searchable content changes (answers are cached on it). */
  content_version: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface UserTable {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  is_active: number;
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  locked_until: string | null;
  updated_at: string;
}

export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface OrgMemberTable {
  org_id: string;
  user_id: string;
  role: Role;
  created_at: string;
  /** Set when an identity provider or SCIM turned the member off; such a member cannot enter the organization. */
  deactivated_at: string | null;
  /** The provisioning client's id for this member (SCIM externalId). */
  external_id: string | null;
  /** SCIM name parts as the provisioning client sent them (JSON: givenName, familyName, formatted, displayName). */
  scim_profile: string | null;
  /** When the provisioning client deleted the member (kept deactivated; SCIM answers 404 from then on). */
  scim_deleted_at: string | null;
}

export interface TeamTable {
  id: string;
  org_id: string;
  parent_id: string | null;
  name: string;
  created_at: string;
  /** The provisioning client's id for this team (SCIM group externalId). */
  external_id: string | null;
}

export interface TeamMemberTable {
  org_id: string;
  team_id: string;
  user_id: string;
  created_at: string;
}

export interface SessionTable {
  id: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  ip: string | null;
  user_agent: string | null;
  /** How the session was made. */
  method: SessionMethod;
  /** The organization whose identity provider made the session (SSO and LDAP sessions). */
  org_id: string | null;
  /** When the second factor was checked in this session, if it was. */
  mfa_at: string | null;
}

export type SessionMethod = 'password' | 'ldap' | 'saml' | 'oidc';

export interface PersonalTokenTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface InvitationTable {
  id: string;
  org_id: string;
  email: string | null;
  role: Role;
  token_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
  revoked_at: string | null;
}

export interface AuditEventTable {
  id: string;
  org_id: string | null;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  data: string | null;
  created_at: string;
}

export interface DB {
  org: OrgTable;
  user: UserTable;
  login_throttle: LoginThrottleTable;
  org_member: OrgMemberTable;
  team: TeamTable;
  team_member: TeamMemberTable;
  session: SessionTable;
  personal_token: PersonalTokenTable;
  invitation: InvitationTable;
  audit_event: AuditEventTable;
  job: JobTable;
  folder: FolderTable;
  document: DocumentTable;
  document_version: DocumentVersionTable;
  document_page: DocumentPageTable;
  tag: TagTable;
  document_tag: DocumentTagTable;
  document_type: DocumentTypeTable;
  extraction: ExtractionTable;
  extraction_correction: ExtractionCorrectionTable;
  vendor_profile: VendorProfileTable;
  chunk: ChunkTable;
  chunk_vector: ChunkVectorTable;
  vector_change: VectorChangeTable;
  embedding_model: EmbeddingModelTable;
  search_query: SearchQueryTable;
  llm_settings: LlmSettingsTable;
  answer_thread: AnswerThreadTable;
  answer_message: AnswerMessageTable;
  answer_feedback: AnswerFeedbackTable;
  answer_cache: AnswerCacheTable;
  identity_provider: IdentityProviderTable;
  external_identity: ExternalIdentityTable;
  group_mapping: GroupMappingTable;
  auth_flow: AuthFlowTable;
  saml_assertion_seen: SamlAssertionSeenTable;
  mfa_totp: MfaTotpTable;
  mfa_recovery_code: MfaRecoveryCodeTable;
  org_security_policy: OrgSecurityPolicyTable;
  scim_token: ScimTokenTable;
}

export type DocumentStatus = 'queued' | 'processing' | 'ready' | 'needs_review' | 'needs_password' | 'failed' | 'unsupported';

export interface FolderTable {
  id: string;
  org_id: string;
  parent_id: string | null;
  name: string;
  created_by: string | null;
  created_at: string;
}

export interface DocumentTable {
  id: string;
  org_id: string;
  folder_id: string | null;
  /** The e-mail a document came attached to. */
  parent_id: string | null;
  owner_id: string | null;
  name: string;
  status: DocumentStatus;
  error_code: string | null;
  error_message: string | null;
  /** JSON `{step, percent}` while processing. */
  progress: string | null;
  kind: string | null;
  mime: string | null;
  size: number;
  page_count: number | null;
  current_version_id: string | null;
  source: 'upload' | 'api' | 'consume' | 'attachment';
  /** The password of an encrypted PDF, as supplied by a user; page previews need it again. */
  pending_password: string | null;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface DocumentVersionTable {
  id: string;
  org_id: string;
  document_id: string;
  number: number;
  blob_key: string;
  size: number;
  filename: string;
  declared_mime: string | null;
  created_by: string | null;
  created_at: string;
}

export interface DocumentPageTable {
  org_id: string;
  document_id: string;
  version_id: string;
  number: number;
  width: number | null;
  height: number | null;
  source: 'text' | 'ocr' | 'none';
  text: string;
  confidence: number | null;
  rotation: number;
  /** JSON array of `{t, c?, b: [x, y, w, h]}` (box normalized to the page). */
  words: string | null;
  preview_key: string | null;
  error: string | null;
}

export interface TagTable {
  id: string;
  org_id: string;
  name: string;
  created_at: string;
}

export interface DocumentTagTable {
  org_id: string;
  document_id: string;
  tag_id: string;
}

export type Folder = Selectable<FolderTable>;
export type Document = Selectable<DocumentTable>;
export type DocumentVersion = Selectable<DocumentVersionTable>;
export type DocumentPage = Selectable<DocumentPageTable>;

export type Org = Selectable<OrgTable>;
export type User = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
export type OrgMember = Selectable<OrgMemberTable>;
export type Team = Selectable<TeamTable>;
export type Session = Selectable<SessionTable>;
export type PersonalToken = Selectable<PersonalTokenTable>;
export type Invitation = Selectable<InvitationTable>;
export type AuditEvent = Selectable<AuditEventTable>;

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A background job (see src/platform/jobs): payload and progress are JSON text. */
export interface JobTable {
  id: string;
  org_id: string | null;
  type: string;
  payload: string;
  status: JobStatus;
  priority: number;
  attempts: number;
  max_attempts: number;
  run_at: string;
  lease_until: string | null;
  locked_by: string | null;
  heartbeat_at: string | null;
  cancel_requested: number;
  last_error: string | null;
  progress: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** An organization's own document type; `keywords` and `fields` are JSON. */
export interface DocumentTypeTable {
  id: string;
  org_id: string;
  /** Stable identifier, e.g. `delivery_note`; never `invoice`, `receipt` or `other`. */
  key: string;
  name: string;
  /** JSON array of phrases that mark a document of this type. */
  keywords: string;
  /** JSON array of `{name, label, kind, options?, labels?}`. */
  fields: string;
  created_at: string;
  updated_at: string;
}

/** A document's classification and extracted fields (one row per document, for its current version). */
export interface ExtractionTable {
  document_id: string;
  org_id: string;
  version_id: string;
  /** `invoice`, `receipt`, `other` or a custom type's key. */
  type: string;
  type_confidence: number;
  type_source: 'model' | 'user';
  /** The lowest field confidence; null when the type has no fields. */
  confidence: number | null;
  /** JSON `{name: {value, normalized, confidence, page, box, source}}`. */
  fields: string;
  /** JSON array of line items, for invoices. */
  line_items: string | null;
  /** JSON array of broken consistency rules. */
  issues: string;
  /** The vendor profile the document was matched to, by key. */
  vendor_key: string | null;
  reviewed_by: string | null;
  reviewed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ExtractionCorrectionTable {
  id: string;
  org_id: string;
  document_id: string;
  type: string;
  field: string;
  /** JSON of the field before and after the correction (null: absent). */
  before: string | null;
  after: string | null;
  user_id: string | null;
  created_at: string;
}

/** What reviews taught about one vendor's documents of one type. */
export interface VendorProfileTable {
  id: string;
  org_id: string;
  type: string;
  /** Folded vendor name. */
  key: string;
  name: string;
  /** JSON `{field: {box, page, label, value}}` from the latest confirmed review. */
  hints: string;
  reviews: number;
  created_at: string;
  updated_at: string;
}

export type DocumentType = Selectable<DocumentTypeTable>;
export type Extraction = Selectable<ExtractionTable>;
export type VendorProfile = Selectable<VendorProfileTable>;


/** A passage of a document version, the unit of search. */
export interface ChunkTable {
  id: Generated<number>;
  org_id: string;
  document_id: string;
  version_id: string;
  /** 1-based page the passage starts on. */
  page: number;
  /** Position of the passage in the document. */
  ord: number;
  /** The heading the passage sits under, when the text has one. */
  heading: string | null;
  text: string;
  tokens: number;
  created_at: string;
}

/** A chunk's vector made by one model: float32 little-endian. */
export interface ChunkVectorTable {
  chunk_id: number;
  model: string;
  org_id: string;
  vector: Uint8Array;
}

/** The ordered log vector indexes follow (written by database triggers and by trash/restore). */
export interface VectorChangeTable {
  seq: Generated<number>;
  model: string;
  org_id: string;
  chunk_id: number;
  op: 'put' | 'del';
}

export interface EmbeddingModelTable {
  key: string;
  dims: number;
  sha256: string;
  status: 'building' | 'ready' | 'retired';
  created_at: string;
  ready_at: string | null;
}

export interface SearchQueryTable {
  id: string;
  org_id: string;
  user_id: string | null;
  query: string;
  mode: string;
  /** JSON of the filters used. */
  filters: string | null;
  results: number;
  took_ms: number;
  created_at: string;
}

export type Chunk = Selectable<ChunkTable>;
export type EmbeddingModelRow = Selectable<EmbeddingModelTable>;

/** An organization's local LLM (Ollama) settings; absent or null URL: extractive answers only. */
export interface LlmSettingsTable {
  org_id: string;
  ollama_url: string | null;
  model: string | null;
  first_token_timeout_ms: number;
  total_timeout_ms: number;
  /** Prompt + completion tokens per calendar month; null: no quota. */
  monthly_token_quota: number | null;
  user_questions_per_hour: number;
  updated_at: string;
}

export interface AnswerThreadTable {
  id: string;
  org_id: string;
  user_id: string;
  title: string;
  /** JSON `{folderId?, documentId?}`. */
  scope: string | null;
  created_at: string;
  updated_at: string;
}

export interface AnswerMessageTable {
  id: string;
  org_id: string;
  thread_id: string;
  user_id: string;
  question: string;
  answer: string;
  /** JSON array of `{n, documentId, name, page, quote}`. */
  citations: string;
  degraded: number;
  reason: string | null;
  model: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached: number;
  took_ms: number;
  created_at: string;
}

export interface AnswerFeedbackTable {
  message_id: string;
  user_id: string;
  org_id: string;
  rating: number;
  comment: string | null;
  created_at: string;
}

export interface AnswerCacheTable {
  key: string;
  org_id: string;
  content_version: number;
  result: string;
  created_at: string;
}

export type AnswerThread = Selectable<AnswerThreadTable>;
export type AnswerMessage = Selectable<AnswerMessageTable>;
export type LlmSettings = Selectable<LlmSettingsTable>;

// ---- Enterprise sign-in

export type IdentityProviderKind = 'ldap' | 'saml' | 'oidc';

export interface IdentityProviderTable {
  id: string;
  org_id: string;
  kind: IdentityProviderKind;
  enabled: number;
  /** JSON of the kind's settings, without secrets. */
  settings: string;
  /** The kind's secrets (bind password, client secret, keys) as JSON sealed with the configured secret key. */
  secret: string | null;
  last_sync_at: string | null;
  last_sync_result: string | null;
  created_at: string;
  updated_at: string;
}

export interface ExternalIdentityTable {
  id: string;
  org_id: string;
  kind: IdentityProviderKind;
  /** The provider's stable id for the person (LDAP DN or entryUUID, SAML NameID, OIDC sub). */
  subject: string;
  user_id: string;
  /** JSON array of the group names the provider reported at the last sign-in or sync. */
  groups: string | null;
  created_at: string;
  last_login_at: string | null;
}

export interface GroupMappingTable {
  id: string;
  org_id: string;
  /** A group name as the providers report it (LDAP cn or DN, SAML/OIDC group value), compared case-insensitively. */
  group_name: string;
  team_id: string | null;
  role: Role | null;
  created_at: string;
}

export interface AuthFlowTable {
  /** SHA-256 of the flow's public handle (OIDC state, SAML request id, MFA challenge token). */
  id: string;
  org_id: string | null;
  kind: string;
  data: string;
  created_at: string;
  expires_at: string;
}

export interface SamlAssertionSeenTable {
  /** org id + assertion ID, hashed. */
  id: string;
  org_id: string;
  expires_at: string;
}

export interface MfaTotpTable {
  user_id: string;
  /** Base32 TOTP secret sealed with the configured secret key. */
  secret: string;
  confirmed_at: string | null;
  /** The last 30-second step accepted, so a code works once. */
  last_step: number;
  created_at: string;
}

export interface MfaRecoveryCodeTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: string | null;
  created_at: string;
}

export type MfaRequirement = 'off' | 'admins' | 'all';

export interface OrgSecurityPolicyTable {
  org_id: string;
  mfa_required: MfaRequirement;
  idle_timeout_minutes: number | null;
  absolute_lifetime_hours: number | null;
  max_sessions: number | null;
  /** CIDR ranges, one per line; null or empty allows every address. */
  ip_allowlist: string | null;
  /** When set ('saml' or 'oidc' or 'ldap'), members enter the organization only through that method. */
  sso_only: string | null;
  updated_at: string;
}

export interface ScimTokenTable {
  id: string;
  org_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export type IdentityProvider = Selectable<IdentityProviderTable>;
export type ExternalIdentity = Selectable<ExternalIdentityTable>;
export type GroupMapping = Selectable<GroupMappingTable>;
export type OrgSecurityPolicy = Selectable<OrgSecurityPolicyTable>;
export type ScimToken = Selectable<ScimTokenTable>;
