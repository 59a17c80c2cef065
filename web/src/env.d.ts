// Vite turns `import './styles.css'` into a <link>; the type checker only needs to know it exists.
declare module '*.css';
