"""The slide deck of the oral: presentation/deck.md filled from reports/*.json, the notebooks'
figures and the pipeline's outputs (`bihar deck`), then built by Marp (`make slides`)."""
