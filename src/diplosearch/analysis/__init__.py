"""Indonesian text analysis: normalisation, tokens, reduplication, stop words, stemming.

- ``analyzer``: the pipeline (tokens, terms, Whoosh's analyzer protocol);
- ``normalize``: Unicode clean-up of documents and tokens;
- ``reduplication``: folding ``negara-negara`` and splitting other hyphenated words;
- ``stopwords``: the bundled stop-word list;
- ``stemmer``: the stemmer protocol, the no-op and the Snowball stemmers;
- ``indonesian_stemmer``: the lexicon-backed stemmer and its affix parser;
- ``lexicon``: the bundled root lexicon;
- ``morphology``: Indonesian word knowledge (vowels, clitics, affixes, the lexicon's
  pattern letters) shared by the modules above and ``scripts/build_lexicon.py``;
- ``cache``: the bounded memo of the analyzer and the stemmers.
"""
