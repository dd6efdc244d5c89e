"""Indonesian text analysis: normalisation, tokens, reduplication, stop words, stemming."""
