/**
 * QTI 1.2.1 as profiled by Common Cartridge (`ims_qtiasiv1p2`): reading the
 * six CC question types (and the Canvas `question_type` equivalents) into
 * `CcQuestion`s, writing a minimal but valid CC assessment or question bank,
 * and checking a QTI document against the structural rules the CC 1.3 QTI
 * XSD and its schematron carry.
 */
import { FormatError } from '../errors';
import { childrenNamed, descendantsNamed, firstChild, XmlElement } from '../xml/safe-xml';
import { XmlWriter } from '../xml/xml-escape';
import { CcFeedback, CcFinding, CcQuestion, CcQuizItem, CcRichText } from './cc-types';

export const QTI_NS = 'http://www.imsglobal.org/xsd/ims_qtiasiv1p2';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** CC question profiles (`cc_profile`) and the Canvas `question_type`s that mean the same. */
const PROFILE_TYPES: Record<string, CcQuestion['type']> = {
  'cc.multiple_choice.v0p1': 'multiple-choice',
  'cc.multiple_response.v0p1': 'multiple-response',
  'cc.true_false.v0p1': 'true-false',
  'cc.fib.v0p1': 'fill-in-blank',
  'cc.pattern_match.v0p1': 'pattern-match',
  'cc.essay.v0p1': 'essay',
  multiple_choice_question: 'multiple-choice',
  multiple_answers_question: 'multiple-response',
  true_false_question: 'true-false',
  short_answer_question: 'fill-in-blank',
  essay_question: 'essay',
};

const TYPE_PROFILE: Record<CcQuestion['type'], string> = {
  'multiple-choice': 'cc.multiple_choice.v0p1',
  'multiple-response': 'cc.multiple_response.v0p1',
  'true-false': 'cc.true_false.v0p1',
  'fill-in-blank': 'cc.fib.v0p1',
  'pattern-match': 'cc.pattern_match.v0p1',
  essay: 'cc.essay.v0p1',
};

export const CC_QUESTION_PROFILES = Object.values(TYPE_PROFILE);

function metadataFields(el: XmlElement | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!el) return out;
  for (const f of descendantsNamed(el, 'qtimetadatafield')) {
    const label = firstChild(f, 'fieldlabel')?.text.trim();
    if (label && !out.has(label)) out.set(label, firstChild(f, 'fieldentry')?.text.trim() ?? '');
  }
  return out;
}

function materialText(material: XmlElement | undefined): CcRichText | undefined {
  if (!material) return undefined;
  const texts = descendantsNamed(material, 'mattext');
  if (texts.length === 0) return undefined;
  const type = texts[0].attrs['texttype'] === 'text/html' ? 'text/html' : 'text/plain';
  return { text: texts.map((t) => t.text).join(''), textType: type };
}

/** The question stem: the first `material` of the presentation that is not inside a response. */
function stem(presentation: XmlElement | undefined): CcRichText | undefined {
  if (!presentation) return undefined;
  const walk = (el: XmlElement): XmlElement | undefined => {
    for (const c of el.children) {
      if (c.local === 'material') return c;
      if (c.local === 'flow') {
        const found = walk(c);
        if (found) return found;
      }
    }
    return undefined;
  };
  return materialText(walk(presentation));
}

/** varequal/varsubstring values of respconditions that give a positive score, outside `not`. */
function scoringConditions(item: XmlElement): { equal: XmlElement[]; substring: XmlElement[] } {
  const equal: XmlElement[] = [];
  const substring: XmlElement[] = [];
  for (const rc of descendantsNamed(item, 'respcondition')) {
    const setvars = childrenNamed(rc, 'setvar');
    const positive = setvars.some((s) => Number(s.text.trim()) > 0) || /^correct$/i.test(rc.attrs['title'] ?? '');
    if (!positive) continue;
    const cond = firstChild(rc, 'conditionvar');
    if (!cond) continue;
    const walk = (el: XmlElement) => {
      for (const c of el.children) {
        if (c.local === 'not') continue;
        if (c.local === 'varequal') equal.push(c);
        else if (c.local === 'varsubstring') substring.push(c);
        else walk(c);
      }
    };
    walk(cond);
  }
  return { equal, substring };
}

export interface ParsedQtiQuestion {
  /** CC profile, or the Canvas question_type, or `unknown`. */
  profile: string;
  title?: string;
  question?: CcQuestion;
  /** Why the question could not be turned into a `CcQuestion`. */
  unsupported?: string;
}

export interface ParsedQti {
  kind: 'assessment' | 'question-bank';
  ident?: string;
  title?: string;
  description?: string;
  maxAttempts?: number | 'unlimited';
  timeLimitMinutes?: number;
  questions: ParsedQtiQuestion[];
}

/**
 * Feedback of an item: `itemfeedback` texts, classified by the conditions
 * that display them. Identifier conventions first (ours `<item>_FB_G|C|I`,
 * Canvas `general_fb`, `correct_fb`, `general_incorrect_fb`), then structure:
 * a condition naming one answer gives that answer's feedback, a scoring one
 * the correct feedback, an `other` one general (continue) or incorrect.
 */
function readFeedback(item: XmlElement): { question: CcFeedback; byChoice: Map<string, string> } {
  const texts = new Map<string, string>();
  for (const f of childrenNamed(item, 'itemfeedback')) {
    const t = materialText(descendantsNamed(f, 'material')[0]);
    if (f.attrs['ident'] && t && t.text.trim() !== '') texts.set(f.attrs['ident'], t.text);
  }
  const question: CcFeedback = {};
  const byChoice = new Map<string, string>();
  if (texts.size === 0) return { question, byChoice };
  const add = (slot: keyof CcFeedback, text: string) => {
    question[slot] = question[slot] ? `${question[slot]}\n${text}` : text;
  };
  const used = new Set<string>();
  for (const rc of descendantsNamed(item, 'respcondition')) {
    const cond = firstChild(rc, 'conditionvar');
    const direct = cond ? cond.children.filter((c) => c.local === 'varequal') : [];
    const other = cond ? cond.children.some((c) => c.local === 'other') : false;
    const scoring = childrenNamed(rc, 'setvar').some((sv) => Number(sv.text.trim()) > 0);
    const continues = /^yes$/i.test(rc.attrs['continue'] ?? '');
    for (const d of childrenNamed(rc, 'displayfeedback')) {
      const id = d.attrs['linkrefid'] ?? '';
      const text = texts.get(id);
      if (text === undefined || used.has(id)) continue;
      used.add(id);
      if (/(^|_)general_incorrect_fb$|_FB_I$/.test(id)) add('incorrect', text);
      else if (/(^|_)general_fb$|_FB_G$/.test(id)) add('general', text);
      else if (/(^|_)correct_fb$|_FB_C$/.test(id)) add('correct', text);
      else if (direct.length === 1 && !scoring) byChoice.set(direct[0].text.trim(), text);
      else if (direct.length === 1 && /_FB_C\d+$/.test(id)) byChoice.set(direct[0].text.trim(), text);
      else if (scoring) add('correct', text);
      else if (other) add(continues ? 'general' : 'incorrect', text);
      else add('general', text);
    }
  }
  return { question, byChoice };
}

function parseQuestion(item: XmlElement): ParsedQtiQuestion {
  const meta = metadataFields(firstChild(item, 'itemmetadata'));
  const profile = meta.get('cc_profile') ?? meta.get('question_type') ?? 'unknown';
  const title = item.attrs['title'];
  const type = PROFILE_TYPES[profile];
  if (!type) return { profile, title, unsupported: `question type ${profile} has no Common Cartridge equivalent` };
  const presentation = firstChild(item, 'presentation');
  const text = stem(presentation) ?? { text: '', textType: 'text/plain' as const };
  const weight = Number(meta.get('cc_weighting') ?? meta.get('points_possible'));
  const fb = readFeedback(item);
  const base = {
    title,
    text: text.text,
    textType: text.textType,
    ...(Number.isFinite(weight) && weight > 0 ? { points: weight } : {}),
    ...(Object.keys(fb.question).length > 0 ? { feedback: fb.question } : {}),
  };
  const { equal, substring } = scoringConditions(item);
  if (type === 'multiple-choice' || type === 'multiple-response' || type === 'true-false') {
    const labels = presentation ? descendantsNamed(presentation, 'response_label') : [];
    const correct = new Set(equal.map((v) => v.text.trim()));
    const choices = labels.map((l) => {
      const t = materialText(firstChild(l, 'material') ?? firstChild(l, 'flow_mat')) ?? { text: '', textType: 'text/plain' as const };
      const own = fb.byChoice.get(l.attrs['ident'] ?? '');
      return { text: t.text, textType: t.textType, correct: correct.has(l.attrs['ident'] ?? ''), ...(own !== undefined ? { feedback: own } : {}) };
    });
    if (choices.length === 0) return { profile, title, unsupported: 'choice question without response labels' };
    if (type === 'true-false') {
      const right = choices.find((c) => c.correct);
      if (!right) return { profile, title, unsupported: 'true/false question without a correct answer' };
      const rightIdent = labels[choices.indexOf(right)].attrs['ident'];
      // `true` / `false` identifiers (the CC form Moodle requires) decide; else the label's text.
      const answer = rightIdent === 'true' || rightIdent === 'false' ? rightIdent === 'true' : /^\s*(true|vrai|yes|oui)\s*$/i.test(right.text.replace(/<[^>]*>/g, ''));
      return { profile, title, question: { ...base, type, answer } };
    }
    return { profile, title, question: { ...base, type, choices } };
  }
  if (type === 'fill-in-blank') {
    const answers = [...new Set(equal.map((v) => v.text.trim()).filter((v) => v !== ''))];
    const caseSensitive = equal.some((v) => v.attrs['case'] === 'Yes');
    if (substring.length > 0 && answers.length === 0) {
      return { profile, title, question: { ...base, type: 'pattern-match', patterns: substring.map((v) => v.text.trim()) } };
    }
    return { profile, title, question: { ...base, type, answers, ...(caseSensitive ? { caseSensitive } : {}) } };
  }
  if (type === 'pattern-match') {
    const patterns = [...equal, ...substring].map((v) => v.text.trim()).filter((v) => v !== '');
    return { profile, title, question: { ...base, type, patterns } };
  }
  return { profile, title, question: { ...base, type: 'essay' } };
}

/** Reads a `questestinterop` document (assessment or object bank). */
export function parseQti(root: XmlElement): ParsedQti {
  if (root.local !== 'questestinterop') {
    throw new FormatError('CC_INVALID_MANIFEST', `QTI descriptor root is <${root.name}>, expected <questestinterop>`, 'QTI_ROOT');
  }
  const assessment = firstChild(root, 'assessment');
  const bank = firstChild(root, 'objectbank');
  const container = assessment ?? bank;
  const meta = metadataFields(container ? firstChild(container, 'qtimetadata') : undefined);
  const attempts = meta.get('cc_maxattempts');
  const limit = Number(meta.get('qmd_timelimit'));
  const rubric = assessment ? materialText(firstChild(firstChild(assessment, 'rubric'), 'material')) : undefined;
  return {
    kind: assessment ? 'assessment' : 'question-bank',
    ident: container?.attrs['ident'],
    title: container?.attrs['title'] ?? (bank ? meta.get('bank_title') : undefined),
    description: rubric?.text,
    maxAttempts: attempts === 'unlimited' ? 'unlimited' : Number(attempts) > 0 ? Number(attempts) : undefined,
    timeLimitMinutes: Number.isFinite(limit) && limit > 0 ? limit : undefined,
    questions: descendantsNamed(root, 'item').map(parseQuestion),
  };
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

function field(w: XmlWriter, label: string, entry: string): void {
  w.open('qtimetadatafield');
  w.leaf('fieldlabel', label);
  w.leaf('fieldentry', entry);
  w.close('qtimetadatafield');
}

function material(w: XmlWriter, t: CcRichText): void {
  w.open('material');
  w.leaf('mattext', t.text, { texttype: t.textType ?? 'text/html' });
  w.close('material');
}

function scoreOutcomes(w: XmlWriter): void {
  w.open('outcomes');
  w.empty('decvar', { varname: 'SCORE', vartype: 'Decimal', minvalue: '0', maxvalue: '100' });
  w.close('outcomes');
}

/** A `respcondition`: `cond` writes the inside of `conditionvar`; feedback idents are displayed. */
function respcondition(w: XmlWriter, cont: 'Yes' | 'No', cond: () => void, score: boolean, feedbacks: string[]): void {
  w.open('respcondition', { continue: cont });
  w.open('conditionvar');
  cond();
  w.close('conditionvar');
  if (score) w.leaf('setvar', '100', { varname: 'SCORE', action: 'Set' });
  for (const f of feedbacks) w.empty('displayfeedback', { feedbacktype: 'Response', linkrefid: f });
  w.close('respcondition');
}

function hasText(t: string | undefined): t is string {
  return typeof t === 'string' && t.trim() !== '';
}

/**
 * One question. Choice identifiers are `<ident>_C<n>`, except true/false:
 * `true` and `false` (Moodle's CC quiz import accepts no others and aborts the
 * course otherwise). Feedback is written as `itemfeedback` shown by
 * `respcondition`s the way Moodle's importer reads them: general feedback
 * from a `continue="Yes"` condition, per-answer feedback from the condition
 * naming the answer, correct / incorrect feedback with the scoring condition
 * / the conditions of wrong answers and a final `other`.
 */
function writeQuestion(w: XmlWriter, q: CcQuestion, ident: string, where: string): void {
  const rid = `${ident}_R`;
  const fb = q.feedback ?? {};
  const itemFeedback: { id: string; text: string }[] = [];
  const feedbackId = (suffix: string, text: string | undefined): string | undefined => {
    if (!hasText(text)) return undefined;
    const id = `${ident}_FB_${suffix}`;
    itemFeedback.push({ id, text });
    return id;
  };
  const general = feedbackId('G', fb.general);
  const correct = feedbackId('C', fb.correct);
  const incorrect = feedbackId('I', fb.incorrect);
  const ids = (...xs: (string | undefined)[]): string[] => xs.filter((x): x is string => x !== undefined);
  const generalCondition = () => {
    if (general) respcondition(w, 'Yes', () => w.empty('other'), false, [general]);
  };
  const incorrectCondition = () => {
    if (incorrect) respcondition(w, 'No', () => w.empty('other'), false, [incorrect]);
  };

  w.open('item', { ident, title: q.title ?? undefined });
  w.open('itemmetadata');
  w.open('qtimetadata');
  field(w, 'cc_profile', TYPE_PROFILE[q.type]);
  if (q.points !== undefined) {
    const weight = Math.round(q.points);
    if (!(weight >= 1 && weight <= 99)) throw new FormatError('INVALID_INPUT', `${where}.points must be an integer from 1 to 99 (cc_weighting)`);
    field(w, 'cc_weighting', String(weight));
  }
  if (q.type === 'essay') field(w, 'qmd_computerscored', 'No');
  w.close('qtimetadata');
  w.close('itemmetadata');
  w.open('presentation');
  material(w, q);
  switch (q.type) {
    case 'multiple-choice':
    case 'multiple-response':
    case 'true-false': {
      const choices =
        q.type === 'true-false'
          ? [
              { text: 'True', textType: 'text/plain' as const, correct: q.answer, feedback: undefined },
              { text: 'False', textType: 'text/plain' as const, correct: !q.answer, feedback: undefined },
            ]
          : q.choices;
      if (choices.length < 2) throw new FormatError('INVALID_INPUT', `${where} needs at least two choices`);
      const right = choices.filter((c) => c.correct).length;
      if (q.type === 'multiple-choice' && right !== 1) throw new FormatError('INVALID_INPUT', `${where} (multiple-choice) needs exactly one correct choice, has ${right}`);
      if (q.type === 'multiple-response' && right < 1) throw new FormatError('INVALID_INPUT', `${where} (multiple-response) needs at least one correct choice`);
      const choiceIdent = (i: number) => (q.type === 'true-false' ? (i === 0 ? 'true' : 'false') : `${ident}_C${i + 1}`);
      const choiceFeedback = choices.map((c, i) => feedbackId(`C${i + 1}`, c.feedback));
      w.open('response_lid', { ident: rid, rcardinality: q.type === 'multiple-response' ? 'Multiple' : 'Single' });
      w.open('render_choice');
      choices.forEach((c, i) => {
        w.open('response_label', { ident: choiceIdent(i) });
        material(w, c);
        w.close('response_label');
      });
      w.close('render_choice');
      w.close('response_lid');
      w.close('presentation');
      w.open('resprocessing');
      scoreOutcomes(w);
      generalCondition();
      const single = q.type !== 'multiple-response';
      const rightIndex = choices.findIndex((c) => c.correct);
      respcondition(
        w,
        'No',
        () => {
          if (!single) {
            w.open('and');
            choices.forEach((c, i) => {
              if (c.correct) w.leaf('varequal', choiceIdent(i), { respident: rid });
              else {
                w.open('not');
                w.leaf('varequal', choiceIdent(i), { respident: rid });
                w.close('not');
              }
            });
            w.close('and');
          } else {
            w.leaf('varequal', choiceIdent(rightIndex), { respident: rid });
          }
        },
        true,
        ids(correct, single ? choiceFeedback[rightIndex] : undefined),
      );
      choices.forEach((c, i) => {
        const own = choiceFeedback[i];
        if (!own || (single && i === rightIndex)) return;
        respcondition(w, 'No', () => w.leaf('varequal', choiceIdent(i), { respident: rid }), false, ids(own, c.correct ? undefined : incorrect));
      });
      incorrectCondition();
      w.close('resprocessing');
      break;
    }
    case 'fill-in-blank':
    case 'pattern-match': {
      const values = q.type === 'fill-in-blank' ? q.answers : q.patterns;
      if (values.length === 0) throw new FormatError('INVALID_INPUT', `${where} needs at least one accepted answer`);
      w.open('response_str', { ident: rid, rcardinality: 'Single' });
      w.empty('render_fib');
      w.close('response_str');
      w.close('presentation');
      w.open('resprocessing');
      scoreOutcomes(w);
      generalCondition();
      for (const v of values) {
        respcondition(
          w,
          'No',
          () => {
            if (q.type === 'pattern-match') w.leaf('varsubstring', v, { respident: rid, case: 'No' });
            else w.leaf('varequal', v, { respident: rid, case: q.caseSensitive ? 'Yes' : 'No' });
          },
          true,
          ids(correct),
        );
      }
      incorrectCondition();
      w.close('resprocessing');
      break;
    }
    case 'essay':
      w.open('response_str', { ident: rid, rcardinality: 'Single' });
      w.empty('render_fib', { rows: '15' });
      w.close('response_str');
      w.close('presentation');
      w.open('resprocessing');
      scoreOutcomes(w);
      generalCondition();
      // Not computer-scored: feedback labelled correct / incorrect (a sample answer, often) shows with the final condition.
      respcondition(w, 'No', () => w.empty('other'), false, ids(correct, incorrect));
      w.close('resprocessing');
      break;
    default:
      throw new FormatError('INVALID_INPUT', `${where}.type is unknown: ${String((q as { type?: unknown }).type)}`);
  }
  for (const f of itemFeedback) {
    w.open('itemfeedback', { ident: f.id });
    w.open('flow_mat');
    material(w, { text: f.text, textType: 'text/html' });
    w.close('flow_mat');
    w.close('itemfeedback');
  }
  w.close('item');
}

/**
 * Writes a CC-profile QTI 1.2.1 assessment (or, with `quiz.bank`, an object
 * bank). `schemaLocation` is the QTI XSD of the target CC version.
 */
export function writeQti(quiz: CcQuizItem, ident: string, schemaLocation: string, where: string): string {
  if (!Array.isArray(quiz.questions) || quiz.questions.length === 0) {
    throw new FormatError('INVALID_INPUT', `${where} has no question (a CC assessment needs at least one)`);
  }
  const w = new XmlWriter();
  w.open('questestinterop', { xmlns: QTI_NS, 'xmlns:xsi': XSI_NS, 'xsi:schemaLocation': `${QTI_NS} ${schemaLocation}` });
  if (quiz.bank) {
    w.open('objectbank', { ident });
    w.open('qtimetadata');
    field(w, 'cc_profile', 'cc.exam.v0p1');
    w.close('qtimetadata');
  } else {
    w.open('assessment', { ident, title: quiz.title });
    w.open('qtimetadata');
    field(w, 'cc_profile', 'cc.exam.v0p1');
    field(w, 'qmd_assessmenttype', 'Examination');
    field(w, 'qmd_scoretype', 'Percentage');
    if (quiz.timeLimitMinutes !== undefined) {
      const t = Math.round(quiz.timeLimitMinutes);
      if (!(t >= 1 && t <= 527040)) throw new FormatError('INVALID_INPUT', `${where}.timeLimitMinutes must be 1..527040`);
      field(w, 'qmd_timelimit', String(t));
    }
    const attempts = quiz.maxAttempts ?? 1;
    if (attempts !== 'unlimited' && !(Number.isInteger(attempts) && attempts >= 1 && attempts <= 5)) {
      throw new FormatError('INVALID_INPUT', `${where}.maxAttempts must be 1..5 or 'unlimited' (cc_maxattempts)`);
    }
    field(w, 'cc_maxattempts', String(attempts));
    w.close('qtimetadata');
    if (quiz.description) {
      w.open('rubric');
      material(w, { text: quiz.description, textType: 'text/html' });
      w.close('rubric');
    }
    w.open('section', { ident: `${ident}_S` });
  }
  quiz.questions.forEach((q, i) => writeQuestion(w, q, `${ident}_Q${i + 1}`, `${where}.questions[${i}]`));
  if (quiz.bank) w.close('objectbank');
  else {
    w.close('section');
    w.close('assessment');
  }
  w.close('questestinterop');
  return w.toString();
}

// ---------------------------------------------------------------------------
// Profile checks (the structural rules of the CC QTI XSD and its schematron)
// ---------------------------------------------------------------------------

const ASSESSMENT_FIELDS = new Set([
  'cc_profile',
  'qmd_assessmenttype',
  'qmd_scoretype',
  'qmd_feedbackpermitted',
  'qmd_hintspermitted',
  'qmd_solutionspermitted',
  'qmd_timelimit',
  'cc_allow_late_submission',
  'cc_maxattempts',
]);
function fieldsOf(el: XmlElement | undefined): XmlElement[] {
  return el ? descendantsNamed(el, 'qtimetadatafield') : [];
}

const ITEM_FIELDS = new Set(['cc_profile', 'cc_question_category', 'cc_weighting', 'qmd_scoringpermitted', 'qmd_computerscored']);

/**
 * Checks a QTI document against the CC QTI profile: root holds one
 * assessment (one section, at least one item) or one object bank; metadata
 * labels and values as the profile lists them; every item has a known
 * `cc_profile` and its response structure matches the type. `path` prefixes
 * the findings.
 */
export function checkQtiProfile(root: XmlElement, path: string): CcFinding[] {
  const out: CcFinding[] = [];
  const err = (code: string, message: string) => out.push({ severity: 'error', code: `QTI_${code}`, message, path });
  if (root.local !== 'questestinterop' || root.ns !== QTI_NS) {
    err('ROOT', `root is <${root.name}> in ${root.ns || 'no namespace'}, expected <questestinterop> in ${QTI_NS}`);
    return out;
  }
  const kids = root.children.filter((c) => c.local === 'assessment' || c.local === 'objectbank');
  if (kids.length !== 1 || root.children.length !== 1) err('ROOT', 'questestinterop must hold exactly one assessment or one objectbank');
  const container = kids[0];
  if (!container) return out;
  if (container.local === 'assessment') {
    if (!container.attrs['title']) err('ASSESSMENT_TITLE', 'assessment/@title is required');
    const sections = childrenNamed(container, 'section');
    if (sections.length !== 1) err('SECTION', `an assessment has exactly one section, found ${sections.length}`);
    const fields = fieldsOf(firstChild(container, 'qtimetadata'));
    const labels = fields.map((f) => firstChild(f, 'fieldlabel')?.text.trim() ?? '');
    for (const l of labels) if (!ASSESSMENT_FIELDS.has(l)) err('RULE_1A', `assessment metadata field ${JSON.stringify(l)} is not in the CC profile`);
    if (labels.filter((l) => l === 'cc_profile').length !== 1) err('RULE_1K', 'assessment metadata needs exactly one cc_profile field');
    for (const f of fields) {
      const l = firstChild(f, 'fieldlabel')?.text.trim();
      const v = firstChild(f, 'fieldentry')?.text.trim() ?? '';
      if (l === 'cc_profile' && v !== 'cc.exam.v0p1') err('RULE_1J', `assessment cc_profile is ${JSON.stringify(v)}, expected cc.exam.v0p1`);
      if (l === 'cc_maxattempts' && !['Examination', '1', '2', '3', '4', '5', 'unlimited'].includes(v)) err('RULE_1I', `cc_maxattempts ${JSON.stringify(v)} is not 1..5, unlimited or Examination`);
      if (l === 'qmd_timelimit' && !(/^\d+$/.test(v) && Number(v) > 0 && Number(v) < 527041)) err('RULE_1G', `qmd_timelimit ${JSON.stringify(v)} is not an integer from 1 to 527040`);
    }
  }
  const items = descendantsNamed(container, 'item');
  if (items.length === 0) err('NO_ITEM', `the ${container.local} holds no item`);
  const idents = new Set<string>();
  for (const item of items) {
    const ident = item.attrs['ident'] ?? '';
    if (!ident) err('ITEM_IDENT', 'item/@ident is required');
    if (idents.has(ident)) err('RULE_13A', `two items share the ident ${JSON.stringify(ident)}`);
    idents.add(ident);
    const fields = fieldsOf(firstChild(item, 'itemmetadata'));
    const meta = new Map(fields.map((f) => [firstChild(f, 'fieldlabel')?.text.trim() ?? '', firstChild(f, 'fieldentry')?.text.trim() ?? '']));
    for (const l of meta.keys()) if (!ITEM_FIELDS.has(l)) err('RULE_2A', `item ${ident}: metadata field ${JSON.stringify(l)} is not in the CC profile`);
    const profile = meta.get('cc_profile');
    if (!profile) {
      err('RULE_2F', `item ${ident}: cc_profile is missing`);
      continue;
    }
    if (!CC_QUESTION_PROFILES.includes(profile)) {
      err('RULE_2B', `item ${ident}: cc_profile ${JSON.stringify(profile)} is not a CC question type`);
      continue;
    }
    const w = meta.get('cc_weighting');
    if (w !== undefined && !(/^\d+$/.test(w) && Number(w) > 0 && Number(w) < 100)) err('RULE_2C', `item ${ident}: cc_weighting ${JSON.stringify(w)} is not an integer from 1 to 99`);
    const presentation = firstChild(item, 'presentation');
    const lid = presentation ? descendantsNamed(presentation, 'response_lid')[0] : undefined;
    const str = presentation ? descendantsNamed(presentation, 'response_str')[0] : undefined;
    const respidents = descendantsNamed(item, 'varequal').map((v) => v.attrs['respident']);
    const labels = lid ? descendantsNamed(lid, 'response_label').length : 0;
    const choice = profile === 'cc.multiple_choice.v0p1' || profile === 'cc.multiple_response.v0p1' || profile === 'cc.true_false.v0p1';
    if (choice) {
      if (!lid || str) err('CHOICE_STRUCTURE', `item ${ident}: a ${profile} question uses response_lid only`);
      const card = lid?.attrs['rcardinality'] ?? 'Single';
      if (profile === 'cc.multiple_response.v0p1' ? card !== 'Multiple' : card !== 'Single') err('CARDINALITY', `item ${ident}: rcardinality ${card} does not fit ${profile}`);
      if (profile === 'cc.true_false.v0p1' ? labels !== 2 : labels < 2) err('LABELS', `item ${ident}: ${labels} response labels for ${profile}`);
      if (lid && !respidents.includes(lid.attrs['ident'])) err('RESPIDENT', `item ${ident}: no varequal refers to response ${lid.attrs['ident']}`);
      if (descendantsNamed(item, 'varsubstring').length > 0) err('VARSUBSTRING', `item ${ident}: varsubstring is not allowed in ${profile}`);
    } else {
      if (lid || !str) err('STRING_STRUCTURE', `item ${ident}: a ${profile} question uses response_str only`);
      if (profile === 'cc.essay.v0p1') {
        if (respidents.length > 0) err('RULE_8C', `item ${ident}: an essay has no varequal`);
        if (meta.get('qmd_computerscored') !== 'No') err('RULE_8F', `item ${ident}: an essay needs qmd_computerscored = No`);
      } else if (str && !respidents.includes(str.attrs['ident']) && profile === 'cc.fib.v0p1') {
        err('RESPIDENT', `item ${ident}: no varequal refers to response ${str.attrs['ident']}`);
      }
      if (profile === 'cc.fib.v0p1' && descendantsNamed(item, 'varsubstring').length > 0) err('RULE_6D', `item ${ident}: varsubstring is not allowed in a fill-in-blank`);
    }
    for (const rp of childrenNamed(item, 'resprocessing')) {
      const decvars = descendantsNamed(rp, 'decvar');
      if (decvars.length !== 1 || (decvars[0].attrs['varname'] ?? 'SCORE') !== 'SCORE') err('DECVAR', `item ${ident}: resprocessing declares exactly one SCORE variable`);
      for (const s of descendantsNamed(rp, 'setvar')) if ((s.attrs['action'] ?? 'Set') !== 'Set') err('SETVAR', `item ${ident}: setvar action ${s.attrs['action']} (only Set)`);
    }
  }
  return out;
}
