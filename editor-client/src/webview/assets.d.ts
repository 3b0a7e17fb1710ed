// Stylesheets the webview bundle imports (esbuild writes them to dist/usageChart.css).
declare module '*.css';
