import React from 'react';

/**
`React.createElement` under a short name: Node runs these files with type stripping only, which does
not transform JSX, so the view is written as `h(Box, props, ...children)`.
*/
export const h = React.createElement;
