// bpmn-js / dmn-js translate module: replaces the libraries' `translate` service with one that looks
// the English template up in a catalogue, then fills {placeholders} (bpmn-js "customTranslate").
export function translator(catalogue) {
  return function translate(template, replacements) {
    const text = (catalogue && catalogue[template]) || template;
    return text.replace(/{([^}]+)}/g, (whole, key) => {
      const value = replacements && replacements[key];
      return value !== undefined && value !== null ? String(value) : whole;
    });
  };
}

export function translateModule(catalogue) {
  return { translate: ["value", translator(catalogue)] };
}
