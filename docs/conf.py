import graphrep

project = "graphrep"
author = "the graphrep authors"
release = graphrep.__version__
# sphinx-mathjax-offline copies MathJax 3 into the built site, so formulas
# render without a network.
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax", "sphinx-mathjax-offline",
              "sphinx.ext.viewcode"]
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "description"
autodoc_mock_imports = []
napoleon_google_docstring = True
# Pages are docs/*.rst; text included into a page is docs/*.inc.
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False
