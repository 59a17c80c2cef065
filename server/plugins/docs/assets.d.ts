declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*/docs-page.js' {
  const text: string;
  export default text;
}
/** Swagger UI's files, imported `with { type: 'file' }`: a path to read (embedded in the binary). */
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string;
  export default path;
}
