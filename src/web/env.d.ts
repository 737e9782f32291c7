// Side-effect imports of stylesheets: esbuild bundles them into the CSS asset.
declare module "*.css";
