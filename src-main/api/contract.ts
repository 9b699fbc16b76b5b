/**
 * The API contract moved to src-common/ (renderer-safe, one definition per shape). This re-export keeps imports
 * that still name this file working; new code imports from src-common/api.js.
 */
export * from '../../src-common/api.js';
