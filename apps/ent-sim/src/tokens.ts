export const ENT_PROFILE = Symbol('ENT_PROFILE');
