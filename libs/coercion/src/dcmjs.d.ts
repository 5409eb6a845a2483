// dcmjs ships no types; the hub uses only its tag dictionary (coercion.ts types what it reads).
declare module 'dcmjs';
