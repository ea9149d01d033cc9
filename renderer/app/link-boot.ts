/**
 * The console's first script on a proposal's link: asks for the review's code before the entry has
 * even arrived.
 *
 * Everything a link's first diff needs beyond the entry (the review view, the diff pane, Monaco's layer
 * chunks and their styles: about 3.8 MB of a 4.2 MB load) used to be requested by the entry's first
 * module, that is only once the 400 KB entry had been fetched, parsed and started evaluating. That is
 * ~300 ms in which the page fetched nothing else. This script is its own tiny entry, loaded `async`
 * beside the main one (the build adds it to index.html with a `<template>` holding the chunks' links,
 * see vite.config.ts): on a review link it puts those links in the document, so the chunks stream in
 * while the entry loads, and the entry's own `import()` of them finds them already in flight. Links are
 * preloads only (`modulepreload`: fetched and compiled, never run early); on any other route it does
 * nothing, and the views load as before.
 */
import { isReviewLink } from './review-link';

/** The id of the `<template>` the build puts in index.html with the review's chunk links. */
export const REVIEW_CHUNKS_TEMPLATE = 'review-link-chunks';

const template = document.getElementById(REVIEW_CHUNKS_TEMPLATE);
if (template instanceof HTMLTemplateElement && isReviewLink(window.location.hash)) {
  document.head.append(template.content.cloneNode(true));
}
