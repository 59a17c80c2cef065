declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*/ui.js' {
  const text: string;
  export default text;
}
